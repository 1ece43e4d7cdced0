// How durable work is scheduled: webhook deliveries, and sessions to finish. With Redis, BullMQ does it
// (bullmq-job-queue.ts); with the in-process store, the timers below. What a job works on is recorded in the
// store before it is queued (the outbox rule), so a queue holds only IDs, and a job lost with an instance is
// found again by a sweep.
import type { FastifyBaseLogger } from 'fastify'
import { settleWithin } from '../lib/settle-within.js'

/** what an attempt says comes next: nothing, or another attempt after a delay */
export type NextStep = { next: 'done' } | { next: 'retry'; delayMs: number }

export interface JobQueue {
  /** schedules an attempt; an ID already waiting or in flight is not added twice */
  add (id: string, delayMs?: number): Promise<void>
  /** which of these IDs the queue holds (waiting, delayed or in flight), in one look: the sweeps ask for a page at a time */
  held (ids: readonly string[]): Promise<Set<string>>
  /** waits for attempts in flight, at most `timeoutMs`, and cancels what is waiting */
  close (timeoutMs: number): Promise<void>
  /** whether this instance is delivering: what /readyz reports */
  health (): { status: 'ok' | 'fail'; detail: string }
}

/** when the store itself fails during an attempt, try again later without counting an attempt */
const STORE_RETRY_MS = 5000
/** setTimeout turns anything longer than 2^31-1 ms into 1 ms: longer waits are made of several timers */
const MAX_TIMER_MS = 2 ** 31 - 1

export class InProcessJobQueue implements JobQueue {
  readonly #timers = new Map<string, NodeJS.Timeout>()
  readonly #inFlight = new Map<string, Promise<void>>()
  readonly #waiting: string[] = []
  #closed = false

  constructor (
    private readonly attempt: (eventId: string) => Promise<NextStep>,
    private readonly log: FastifyBaseLogger,
    private readonly concurrency: number
  ) {}

  health () {
    return this.#closed
      ? { status: 'fail' as const, detail: 'closed' }
      : { status: 'ok' as const, detail: `in-process timers: ${this.#inFlight.size} in flight, ${this.#timers.size + this.#waiting.length} waiting` }
  }

  async add (eventId: string, delayMs = 0): Promise<void> {
    this.#schedule(eventId, delayMs)
  }

  async held (ids: readonly string[]): Promise<Set<string>> {
    return new Set(ids.filter((id) => this.#timers.has(id) || this.#inFlight.has(id) || this.#waiting.includes(id)))
  }

  #schedule (eventId: string, delayMs: number): void {
    if (this.#closed || this.#timers.has(eventId) || this.#inFlight.has(eventId) || this.#waiting.includes(eventId)) return
    this.#arm(eventId, delayMs)
  }

  #arm (eventId: string, delayMs: number): void {
    const timer = setTimeout(() => {
      if (delayMs > MAX_TIMER_MS) return this.#arm(eventId, delayMs - MAX_TIMER_MS)
      this.#timers.delete(eventId)
      this.#waiting.push(eventId)
      this.#pump()
    }, Math.min(delayMs, MAX_TIMER_MS))
    this.#timers.set(eventId, timer)
  }

  #pump (): void {
    while (!this.#closed && this.#inFlight.size < this.concurrency && this.#waiting.length > 0) {
      const eventId = this.#waiting.shift()!
      const run = this.#run(eventId).then((step) => {
        this.#inFlight.delete(eventId)
        if (step.next === 'retry') this.#schedule(eventId, step.delayMs)
        this.#pump()
      })
      this.#inFlight.set(eventId, run)
    }
  }

  async #run (eventId: string): Promise<NextStep> {
    try {
      return await this.attempt(eventId)
    } catch (err) {
      this.log.error({ event_id: eventId, err }, 'job attempt could not run')
      return { next: 'retry', delayMs: STORE_RETRY_MS }
    }
  }

  async close (timeoutMs: number): Promise<void> {
    this.#closed = true
    for (const timer of this.#timers.values()) clearTimeout(timer)
    this.#timers.clear()
    this.#waiting.length = 0
    await settleWithin(Promise.allSettled([...this.#inFlight.values()]), timeoutMs)
  }
}
