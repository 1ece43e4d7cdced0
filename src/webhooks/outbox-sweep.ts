// The outbox rule's safety net: a delivery recorded as pending whose job is missing (the instance died
// between writing the outcome and queueing it, or Redis lost the job) is queued again. Runs at start-up
// and then periodically in every instance; queueing is idempotent by event ID, so instances may overlap.
// The same pass trims the delivery indexes and counts the sessions that expired without an outcome.
import type { FastifyBaseLogger } from 'fastify'
import type { FlowName } from '../flows/flows.js'
import type { DeliveryStore } from '../store/delivery-store.js'
import type { DeliveryCursor } from '../store/records.js'
import type { SessionStore } from '../store/session-store.js'
import type { JobQueue } from '../jobs/job-queue.js'
import { PeriodicPass } from '../jobs/periodic-pass.js'

export interface OutboxSweepOptions {
  deliveries: Pick<DeliveryStore, 'listDeliveryIds' | 'getDelivery' | 'trimDeliveryIndexes'>
  sessions: Pick<SessionStore, 'takeExpiredSessions'>
  queue: JobQueue
  log: FastifyBaseLogger
  retentionSeconds: number
  intervalMs?: number
  batch?: number
  /** deliveries younger than this are left alone (default 10 s) */
  minAgeMs?: number
  /** told once per session that expired without an outcome */
  onExpired?: (flow: FlowName) => void
  now?: () => number
}

export class OutboxSweep extends PeriodicPass {
  #cursor: DeliveryCursor | undefined

  constructor (private readonly o: OutboxSweepOptions) {
    super({ intervalMs: o.intervalMs ?? 30_000, log: o.log, name: 'outbox sweep' })
  }

  /** resolves with how many deliveries were queued again */
  protected async pass (): Promise<number> {
    const { deliveries, sessions, queue, log } = this.o
    const now = (this.o.now ?? Date.now)()
    let requeued = 0
    // each pass reads the next page of pending deliveries and wraps around at the end, so a missing job is
    // found even behind a backlog larger than one page
    // from the index alone: whether a delivery needs a look is told by its age and its job, not its record
    const { items, next } = await deliveries.listDeliveryIds('pending', this.o.batch ?? 1000, this.#cursor)
    this.#cursor = next ?? undefined
    // a delivery younger than this is being queued right now by the request that recorded it
    const youngest = now - (this.o.minAgeMs ?? 10_000)
    const old = items.filter((d) => d.createdAt < youngest).map((d) => d.id)
    const held = await queue.held(old)
    for (const id of old) {
      if (held.has(id)) continue
      // it may have been delivered (and its job removed) since the list was read
      if ((await deliveries.getDelivery(id))?.status !== 'pending') continue
      await queue.add(id)
      requeued++
    }
    if (requeued > 0) log.warn({ requeued }, 'outbox sweep queued pending deliveries that had no job')
    await deliveries.trimDeliveryIndexes(now - this.o.retentionSeconds * 1000)
    for (const flow of await sessions.takeExpiredSessions(now, this.o.batch ?? 1000)) this.o.onExpired?.(flow)
    return requeued
  }
}
