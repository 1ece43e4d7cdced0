// The writes that span several kinds of record, each one atomic step: what a decided event reports, its delivery
// and its sealed body land together or not at all (the outbox rule: README, "Receiving the webhook"). Only the
// outbox (src/outbox/outbox.ts) calls these.
import type { DataDeletionRecord, DeliveryRecord, SessionRecord } from './records.js'

/** Everything a session's outcome writes, in one atomic step. */
export interface OutcomeWrite {
  session: SessionRecord
  delivery: DeliveryRecord
  /** the webhook body, sealed: it may carry the token */
  sealedEvent: string
  retentionSeconds: number
}

/** Events that belong to no session, written in one atomic step with their deliveries. */
export interface EventsWrite {
  events: Array<{ delivery: DeliveryRecord; sealedEvent: string }>
  retentionSeconds: number
  /** written in the same step, so a request is never recorded without its event or the reverse */
  dataDeletion?: DataDeletionRecord
}

export interface OutboxStore {
  /**
   * the decided session, its delivery and sealed event; the session's claim, sealed token and expiry entry go;
   * a completed session with a business joins that business's index, which expires with the retention
   */
  recordOutcome (write: OutcomeWrite): Promise<void>
  /** all the events or none, each as a pending delivery with its sealed body, and the request they report */
  recordEvents (write: EventsWrite): Promise<void>
}
