// The first attempt of a new event is made at once by the instance that decided it, from what the request
// already holds (the delivery record and the plain body): no queue job, no read and no unsealing. Most
// webhooks are acknowledged on that first attempt, so the queue (BullMQ) only carries retries, redeliveries
// and what this instance is too busy or too close to shutting down to send itself.
//
// Nothing is lost by skipping the job: the delivery is recorded as pending before the attempt starts. If
// the instance dies during the attempt, the outbox sweep of any instance finds it pending without a job
// once it is older than the sweep's minimum age (WEBHOOK_TIMEOUT_MS + a margin, so an attempt still in
// flight is not doubled) and queues it.
import type { FastifyBaseLogger } from 'fastify'
import { settleWithin } from '../lib/settle-within.js'
import type { DeliveryRecord } from '../store/records.js'
import type { JobQueue, NextStep } from '../jobs/job-queue.js'

export interface FirstAttemptQueueOptions {
  /** where retries and everything not attempted here go */
  queue: JobQueue
  /** one attempt with the body in hand, its result recorded */
  deliver: (delivery: DeliveryRecord, body: string) => Promise<NextStep>
  log: FastifyBaseLogger
  /** first attempts in flight at most; beyond that new events wait in the queue */
  maxInFlight: number
}

export class FirstAttemptQueue implements JobQueue {
  readonly #inFlight = new Map<string, Promise<void>>()
  #closed = false

  constructor (private readonly o: FirstAttemptQueueOptions) {}

  /**
   * Sends a delivery just recorded as pending, without waiting for the attempt. Never rejects: whatever
   * cannot be attempted or queued now is left to the outbox sweep, since the delivery is already stored.
   */
  start (delivery: DeliveryRecord, body: string): void {
    if (this.#closed || this.#inFlight.size >= this.o.maxInFlight) {
      this.#queue(delivery.id, 0).catch(() => {}) // #queue never rejects: it logs
      return
    }
    const run = this.#attempt(delivery, body).finally(() => this.#inFlight.delete(delivery.id))
    this.#inFlight.set(delivery.id, run)
  }

  async #attempt (delivery: DeliveryRecord, body: string): Promise<void> {
    let step: NextStep
    try {
      step = await this.o.deliver(delivery, body)
    } catch (err) {
      // the store failed while recording the attempt: the queue makes it again, reading what was stored
      this.o.log.warn({ event_id: delivery.id, err }, 'first webhook attempt could not be recorded; queued')
      step = { next: 'retry', delayMs: 0 }
    }
    if (step.next === 'retry') await this.#queue(delivery.id, step.delayMs)
  }

  async #queue (eventId: string, delayMs: number): Promise<void> {
    await this.o.queue.add(eventId, delayMs).catch((err: unknown) => {
      this.o.log.warn({ event_id: eventId, err }, 'webhook could not be queued; the outbox sweep will queue it')
    })
  }

  async add (eventId: string, delayMs = 0): Promise<void> {
    await this.o.queue.add(eventId, delayMs)
  }

  async has (eventId: string): Promise<boolean> {
    return this.#inFlight.has(eventId) || await this.o.queue.has(eventId)
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
