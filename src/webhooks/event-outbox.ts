// The outbox rule for events that belong to no onboarding session (Meta's app callbacks): the deliveries and
// their sealed bodies are written in one atomic step, all or none, and only then attempted, exactly like an
// onboarding's outcome (first-attempt-queue.ts). Once record() has resolved, the events are accepted: a crash
// after that point loses none, because the outbox sweep queues any pending delivery left without a job.
import type { DataDeletionRecord, DeliveryRecord, Store } from '../sessions/records.js'
import type { WebhookEvent } from './events.js'
import type { FirstAttemptQueue } from './first-attempt-queue.js'
import type { TokenSealer } from './token-sealer.js'

export interface EventOutboxDeps {
  store: Store
  /** the bodies are sealed like the onboarding events: the deliverer opens every body the same way */
  sealer: TokenSealer
  queue: FirstAttemptQueue
  retentionSeconds: number
  now: () => number
}

export class EventOutbox {
  constructor (private readonly deps: EventOutboxDeps) {}

  /** `requestId`: the request that brought the events, kept with each delivery so logs can be followed across */
  async record (events: WebhookEvent[], options: { requestId?: string; dataDeletion?: DataDeletionRecord } = {}): Promise<void> {
    if (events.length === 0) return
    const { store, sealer, queue, retentionSeconds } = this.deps
    const nowIso = new Date(this.deps.now()).toISOString()
    const deliveryOf = (event: WebhookEvent): DeliveryRecord => ({
      id: event.id,
      type: event.type,
      session_id: null,
      status: 'pending',
      attempts: 0,
      last_error: null,
      created_at: nowIso,
      updated_at: nowIso,
      ...(options.requestId ? { request_id: options.requestId } : {})
    })
    const written = events.map((event) => ({ event, delivery: deliveryOf(event) }))
    await store.recordEvents({
      events: written.map(({ event, delivery }) => ({ delivery, sealedEvent: sealer.seal(event.body, event.id) })),
      retentionSeconds,
      ...(options.dataDeletion ? { dataDeletion: options.dataDeletion } : {})
    })
    // stored: each first attempt starts without waiting, and whatever cannot be attempted now is queued
    for (const { event, delivery } of written) queue.start(delivery, event.body)
  }
}
