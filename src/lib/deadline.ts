// The timeout of one outgoing call, as the signal undici takes (its `signal` option is documented as an
// AbortSignal or an EventEmitter): an EventEmitter and one timer, cleared as soon as the call ends. Rather than
// AbortSignal.timeout(), which builds an EventTarget and keeps its timer until it fires: that costs each Meta
// call or webhook POST 30–60 µs of CPU on this project's machines, this 10–20 µs (bench/steps.mjs).
import { EventEmitter } from 'node:events'

export class Deadline extends EventEmitter {
  /** undici reads it before it starts, and the caller after a failure: whether the time ran out */
  aborted = false
  readonly #timer: NodeJS.Timeout

  constructor (ms: number) {
    super()
    this.#timer = setTimeout(() => {
      this.aborted = true
      this.emit('abort')
    }, ms)
  }

  /** the call has ended, one way or the other */
  clear (): void {
    clearTimeout(this.#timer)
  }
}
