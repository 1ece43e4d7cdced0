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
  /** what a completed outcome sets going, recorded with it (the outbox rule) */
  followUps?: OutcomeFollowUps | undefined
}

/**
 * What follows a completed onboarding, written in the outcome's own step so that a crash right after it loses
 * none of it: the jobs that carry it out are added afterwards and found again by a sweep if they are lost.
 */
export interface OutcomeFollowUps {
  /** provisioning is due at this time (ms): the held token stays until provisioning ends */
  provisioningDueAt?: number
  /** the session's expiry notices (noticeMember) and when each is due (ms) */
  notices?: Array<{ member: string; at: number }>
  /** the owner (noticeOwner) whose earlier sessions' notices this session supersedes: they are cancelled */
  supersedes?: string
  /** the owners under which this session's notices are held, so that a later session can supersede them */
  holders?: string[]
  /** how long the session is kept when longer than the retention: until its last notice, and a margin */
  sessionTtlSeconds?: number
}

/**
 * A change to a decided session, in one atomic step, with at most one event: a provisioning attempt's progress
 * or its end, an expiry notice, a revocation. It lands only if the session still reads as `expected` and, for a
 * notice, only if that notice is still scheduled (which it then leaves): so each lands once, whichever
 * instance makes it. `recordSessionChange` resolves false when it did not land.
 */
export interface SessionChange {
  sessionId: string
  /** compare-and-set: `next` replaces the session only if it still reads exactly as `expected`; its TTL is kept */
  update?: { expected: SessionRecord; next: SessionRecord }
  /** the change lands only if this notice is still scheduled, and takes it out of the schedule */
  takeNotice?: string
  event?: { delivery: DeliveryRecord; sealedEvent: string }
  retentionSeconds: number
  /** provisioning's next attempt is due at this time (ms), or `done`: it leaves the provisioning index */
  provisioning?: number | 'done'
  /** the held token goes (provisioning is over) */
  dropToken?: boolean
  /** the session's expiry notices not yet sent are cancelled (a revocation) */
  cancelNotices?: boolean
  /** the session leaves its business's and person's indexes of completed sessions (a revocation) */
  leaveOwners?: boolean
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
  /** the change and its event, or nothing: false when the session had changed or the notice was taken */
  recordSessionChange (change: SessionChange): Promise<boolean>
}
