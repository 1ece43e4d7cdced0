// The outbox rule for events that belong to no onboarding session (Meta's app callbacks): the deliveries and
// their sealed bodies are written in one atomic step, all or none, and only then queued. Once record() has
// resolved, the events are accepted: a crash after that point loses none, because the outbox sweep queues any
// pending delivery whose job is missing.
import type { DataDeletionRecord, DeliveryRecord, Store } from '../sessions/records.js'
import type { DeliveryQueue } from './delivery-queue.js'
import type { WebhookEvent } from './events.js'
import type { TokenSealer } from './token-sealer.js'

export interface EventOutboxDeps {
  store: Store
  /** the bodies are sealed like the onboarding events: the deliverer opens every body the same way */
  sealer: TokenSealer
  queue: DeliveryQueue
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
    const delivery = (event: WebhookEvent): DeliveryRecord => ({
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
    await store.recordEvents({
      events: events.map((event) => ({ delivery: delivery(event), sealedEvent: sealer.seal(event.body, event.id) })),
      retentionSeconds,
      ...(options.dataDeletion ? { dataDeletion: options.dataDeletion } : {})
    })
    // the events are stored: if queueing fails now, the outbox sweep queues them later
    for (const event of events) await queue.add(event.id).catch(() => {})
  }
}
