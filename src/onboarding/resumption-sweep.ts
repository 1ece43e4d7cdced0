// The safety net of processing sessions, as the outbox sweep is for deliveries: a session recorded as processing
// whose attempt is due but has no job (its instance died between writing it and queueing it, or Redis lost the job)
// is queued again. Runs at start-up and then periodically in every instance; queueing is idempotent by session ID.
import type { FastifyBaseLogger } from 'fastify'
import type { JobQueue } from '../jobs/job-queue.js'
import { PeriodicPass } from '../jobs/periodic-pass.js'
import type { SessionStore } from '../store/session-store.js'

export interface ResumptionSweepOptions {
  sessions: Pick<SessionStore, 'dueProcessing'>
  queue: Pick<JobQueue, 'add' | 'has'>
  log: FastifyBaseLogger
  intervalMs: number
  /** a session due less than this long ago is being queued by the attempt that recorded it */
  graceMs: number
  now: () => number
  batch?: number
}

export class ResumptionSweep extends PeriodicPass {
  constructor (private readonly o: ResumptionSweepOptions) {
    super({ intervalMs: o.intervalMs, log: o.log, name: 'resumption sweep' })
  }

  /** resolves with how many sessions were queued again */
  protected async pass (): Promise<number> {
    let queued = 0
    for (const id of await this.o.sessions.dueProcessing(this.o.now() - this.o.graceMs, this.o.batch ?? 1000)) {
      if (await this.o.queue.has(id)) continue
      await this.o.queue.add(id)
      queued++
    }
    if (queued > 0) this.o.log.warn({ queued }, 'resumption sweep queued processing sessions that had no job')
    return queued
  }
}
