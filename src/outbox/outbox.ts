// The one door through which every webhook event enters the service (the outbox rule: README, "Receiving the
// webhook"). An event is written in one atomic step together with what it reports and its delivery record, its
// body sealed since it may carry a token; only then is its first attempt started, by this instance, from the
// body in hand. Once a record call has resolved, the event is accepted: a crash after that point loses
// nothing, because the outbox sweep queues any pending delivery left without a job.
import type { TokenSealer } from '../lib/token-sealer.js'
import type { DataDeletionRecord, DeliveryRecord, SessionRecord } from '../store/records.js'
import { tracing } from '../observability/tracing.js'
import type { OutboxStore, OutcomeFollowUps, SessionChange } from '../store/outbox-store.js'
import type { WebhookEvent } from '../webhooks/events.js'

/** where stored events go next: FirstAttemptQueue (webhooks/first-attempt-queue.ts) */
export interface FirstAttempts {
  /** never rejects: what cannot be attempted now is queued, or left to the sweep */
  start (delivery: DeliveryRecord, body: string): void
}

export interface OutboxDeps {
  store: OutboxStore
  sealer: TokenSealer
  attempts: FirstAttempts
  retentionSeconds: number
  now: () => number
}

/** `requestId`: the request that brought the event, kept with its delivery so logs can be followed across */
export interface RecordOptions { requestId?: string | undefined }

export class Outbox {
  constructor (private readonly deps: OutboxDeps) {}

  #delivery (event: WebhookEvent, sessionId: string | null, requestId: string | undefined): DeliveryRecord {
    const nowIso = new Date(this.deps.now()).toISOString()
    // the span that decides the event is the active one: the request's, or the job's (a resumed session,
    // provisioning, a notice); every attempt's span links to it, however much later it is made
    const traceparent = tracing().traceparent()
    return {
      id: event.id,
      type: event.type,
      session_id: sessionId,
      status: 'pending',
      attempts: 0,
      last_error: null,
      created_at: nowIso,
      updated_at: nowIso,
      ...(requestId ? { request_id: requestId } : {}),
      ...(traceparent ? { traceparent } : {})
    }
  }

  /**
   * a session's outcome: the session as decided (its `event_id` naming `event`), with the event's delivery and,
   * for a completed one, what follows it (provisioning, expiry notices)
   */
  async recordOutcome (session: SessionRecord, event: WebhookEvent, options: RecordOptions & { followUps?: OutcomeFollowUps } = {}): Promise<void> {
    const { store, sealer, attempts, retentionSeconds } = this.deps
    const delivery = this.#delivery(event, session.id, options.requestId)
    await store.recordOutcome({ session, delivery, sealedEvent: sealer.seal(event.body, event.id), retentionSeconds, followUps: options.followUps })
    attempts.start(delivery, event.body)
  }

  /**
   * A change to a decided session with at most one event of that session (provisioning, a notice, a revocation):
   * false when it did not land because the session had changed or the notice was taken; then no event was written.
   */
  async recordSessionChange (change: Omit<SessionChange, 'event' | 'retentionSeconds'>, event?: WebhookEvent, options: RecordOptions = {}): Promise<boolean> {
    const { store, sealer, attempts, retentionSeconds } = this.deps
    const delivery = event ? this.#delivery(event, change.sessionId, options.requestId) : undefined
    const landed = await store.recordSessionChange({
      ...change,
      retentionSeconds,
      ...(event && delivery ? { event: { delivery, sealedEvent: sealer.seal(event.body, event.id) } } : {})
    })
    if (landed && event && delivery) attempts.start(delivery, event.body)
    return landed
  }

  /** events that belong to no session (Meta's app callbacks), all or none, with the data deletion they report */
  async recordEvents (events: WebhookEvent[], options: RecordOptions & { dataDeletion?: DataDeletionRecord } = {}): Promise<void> {
    if (events.length === 0) return
    const { store, sealer, attempts, retentionSeconds } = this.deps
    const written = events.map((event) => ({ event, delivery: this.#delivery(event, null, options.requestId) }))
    await store.recordEvents({
      events: written.map(({ event, delivery }) => ({ delivery, sealedEvent: sealer.seal(event.body, event.id) })),
      retentionSeconds,
      ...(options.dataDeletion ? { dataDeletion: options.dataDeletion } : {})
    })
    for (const { event, delivery } of written) attempts.start(delivery, event.body)
  }
}
