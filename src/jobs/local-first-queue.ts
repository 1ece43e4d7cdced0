// Work whose first attempt is made at once by the instance that recorded it, in process: no queue job for the
// common case of an attempt that succeeds the first time (a BullMQ job costs several Redis scripts and an event
// stream). Only a retry, or what this instance is too busy or too close to shutting down to attempt itself,
// becomes a job of the queue it wraps. Webhooks' first attempts (webhooks/first-attempt-queue.ts) and
// provisioning's (plugins/lifecycle-plugin.ts) both go this way.
//
// Nothing is lost by skipping the job: what the attempt works on is recorded (with when it is due) before it
// starts. If the instance dies during the attempt, the sweep of any instance finds it without a job once its
// grace has passed, which must be longer than one attempt so that an attempt in flight is not doubled.
import type { FastifyBaseLogger } from 'fastify'
import { settleWithin } from '../lib/settle-within.js'
import type { JobQueue, NextStep } from './job-queue.js'

export interface LocalFirstQueueOptions<T> {
  /** where retries and everything not attempted here go */
  queue: JobQueue
  /** the first attempt, with what the caller already holds (`input`); a queued attempt reads it from the store */
  attempt: (id: string, input: T) => Promise<NextStep>
  log: FastifyBaseLogger
  /** first attempts in flight at most; beyond that new work waits in the queue */
  maxInFlight: number
  /** what the logs call the work, and the log field of its ID */
  name: string
  logKey: string
  /** when the attempt throws (the store failed), how long the queued retry waits */
  afterFailureMs: number
}

export class LocalFirstQueue<T = undefined> implements JobQueue {
  readonly #inFlight = new Map<string, Promise<void>>()
  #closed = false

  constructor (private readonly o: LocalFirstQueueOptions<T>) {}

  /** attempts `id` now, without waiting for it; never rejects (what cannot be queued is left to the sweep) */
  attemptNow (id: string, input: T): void {
    if (this.#closed || this.#inFlight.size >= this.o.maxInFlight || this.#inFlight.has(id)) {
      this.#queue(id, 0).catch(() => {}) // #queue never rejects: it logs
      return
    }
    const run = this.#attempt(id, input).finally(() => this.#inFlight.delete(id))
    this.#inFlight.set(id, run)
  }

  async #attempt (id: string, input: T): Promise<void> {
    let step: NextStep
    try {
      step = await this.o.attempt(id, input)
    } catch (err) {
      // the store failed while the attempt ran or was recorded: the queue makes it again, reading what was stored
      this.o.log.warn({ [this.o.logKey]: id, err }, `first ${this.o.name} attempt could not be recorded; queued`)
      step = { next: 'retry', delayMs: this.o.afterFailureMs }
    }
    if (step.next === 'retry') await this.#queue(id, step.delayMs)
  }

  async #queue (id: string, delayMs: number): Promise<void> {
    await this.o.queue.add(id, delayMs).catch((err: unknown) => {
      this.o.log.warn({ [this.o.logKey]: id, err }, `${this.o.name} could not be queued; its sweep will queue it`)
    })
  }

  async add (id: string, delayMs = 0): Promise<void> {
    await this.o.queue.add(id, delayMs)
  }

  async held (ids: readonly string[]): Promise<Set<string>> {
    const queued = await this.o.queue.held(ids.filter((id) => !this.#inFlight.has(id)))
    return new Set(ids.filter((id) => this.#inFlight.has(id) || queued.has(id)))
  }

  health () {
    return this.o.queue.health()
  }

  /** first attempts in flight end (bounded by `timeoutMs`) and queue their retries, then the queue closes */
  async close (timeoutMs: number): Promise<void> {
    this.#closed = true
    const started = Date.now()
    await settleWithin(Promise.allSettled([...this.#inFlight.values()]), timeoutMs)
    await this.o.queue.close(Math.max(0, timeoutMs - (Date.now() - started)))
  }
}
