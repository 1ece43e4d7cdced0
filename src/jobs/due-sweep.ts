// The safety net of durable work recorded in an index by when it is due (processing sessions, provisionings,
// expiry notices), as the outbox sweep is for deliveries: an item due a while ago that has no job (its instance
// died between writing it and queueing it, or Redis lost the job) is queued again. Runs at start-up and then
// periodically in every instance; queueing is idempotent by ID, and each attempt checks that its item is still due.
import type { FastifyBaseLogger } from 'fastify'
import type { JobQueue } from './job-queue.js'
import { PeriodicPass } from './periodic-pass.js'

export interface DueSweepOptions {
  /** what the logs call it: "resumption sweep", "provisioning sweep", … */
  name: string
  /** IDs due at `before` or earlier, soonest first */
  due: (before: number, limit: number) => Promise<string[]>
  queue: Pick<JobQueue, 'add' | 'held'>
  log: FastifyBaseLogger
  intervalMs: number
  /** an item due less than this long ago is being queued by whoever recorded it */
  graceMs: number
  now: () => number
  batch?: number
}

export class DueSweep extends PeriodicPass {
  constructor (private readonly o: DueSweepOptions) {
    super({ intervalMs: o.intervalMs, log: o.log, name: o.name })
  }

  /** resolves with how many items were queued again */
  protected async pass (): Promise<number> {
    let queued = 0
    const due = await this.o.due(this.o.now() - this.o.graceMs, this.o.batch ?? 1000)
    const held = await this.o.queue.held(due)
    for (const id of due) {
      if (held.has(id)) continue
      await this.o.queue.add(id)
      queued++
    }
    if (queued > 0) this.o.log.warn({ queued }, `${this.o.name} queued work that had no job`)
    return queued
  }
}
