// The first attempt of a new event is made at once by the instance that decided it, from what the request
// already holds (the delivery record and the plain body): no queue job, no read and no unsealing. Most
// webhooks are acknowledged on that first attempt, so the queue (BullMQ) only carries retries, redeliveries
// and what this instance is too busy or too close to shutting down to send itself (jobs/local-first-queue.ts).
//
// Nothing is lost by skipping the job: the delivery is recorded as pending before the attempt starts. If
// the instance dies during the attempt, the outbox sweep of any instance finds it pending without a job
// once it is older than the sweep's minimum age (WEBHOOK_TIMEOUT_MS + a margin, so an attempt still in
// flight is not doubled) and queues it.
import type { FastifyBaseLogger } from 'fastify'
import type { JobQueue, NextStep } from '../jobs/job-queue.js'
import { LocalFirstQueue } from '../jobs/local-first-queue.js'
import type { DeliveryRecord } from '../store/records.js'

export interface FirstAttemptQueueOptions {
  /** where retries and everything not attempted here go */
  queue: JobQueue
  /** one attempt with the body in hand, its result recorded */
  deliver: (delivery: DeliveryRecord, body: string) => Promise<NextStep>
  log: FastifyBaseLogger
  /** first attempts in flight at most; beyond that new events wait in the queue */
  maxInFlight: number
}

export class FirstAttemptQueue extends LocalFirstQueue<{ delivery: DeliveryRecord; body: string }> {
  constructor (o: FirstAttemptQueueOptions) {
    super({
      queue: o.queue,
      attempt: (_id, { delivery, body }) => o.deliver(delivery, body),
      log: o.log,
      maxInFlight: o.maxInFlight,
      name: 'webhook',
      logKey: 'event_id',
      afterFailureMs: 0
    })
  }

  /**
   * Sends a delivery just recorded as pending, without waiting for the attempt. Never rejects: whatever
   * cannot be attempted or queued now is left to the outbox sweep, since the delivery is already stored.
   */
  start (delivery: DeliveryRecord, body: string): void {
    this.attemptNow(delivery.id, { delivery, body })
  }
}
