// Sessions, the login states that point at them, the claim one login holds while it runs, and the sealed token
// kept between the code exchange and the outcome.
import type { FlowName } from '../flows/flows.js'
import type { ChosenSession, LoginState, SessionRecord } from './records.js'

export type ChooseFlowResult =
  | { status: 'chosen'; session: ChosenSession }
  /** the flow was already fixed (by an earlier or a concurrent choice): the session as it is */
  | { status: 'already_chosen'; session: ChosenSession }
  | { status: 'missing' }

export type TakeLoginStateResult =
  | { status: 'ok'; state: LoginState }
  | { status: 'missing' }
  | { status: 'browser_mismatch' }

/** the callback's one step: the state taken, and its session claimed and read */
export type RedeemLoginStateResult =
  | { status: 'claimed'; session: SessionRecord | null }
  | { status: 'missing' }
  | { status: 'browser_mismatch' }
  /** the state was taken, but another login holds the session */
  | { status: 'busy' }

export type ClaimResult = { claimed: false } | { claimed: true; session: SessionRecord | null }

export interface SessionStore {
  createSession (session: SessionRecord, ttlSeconds: number): Promise<void>
  getSession (id: string): Promise<SessionRecord | null>
  /**
   * Fixes the flow of a session created without one, atomically: of two concurrent choices exactly one
   * returns `chosen`. The session then joins the expiry index under its flow.
   */
  chooseFlow (id: string, flow: FlowName, configId: string): Promise<ChooseFlowResult>
  /** a login state of a session (`state.session_id`), under the SHA-256 of the state */
  putLoginState (stateHash: string, state: LoginState, ttlSeconds: number): Promise<void>
  /**
   * GET /login in one step: reads the session and, if it is pending with its flow chosen and its expiry still
   * ahead by the store's clock, gives it the login state, living as long as the session does (the record's
   * remaining time less `retentionSeconds`, which it is kept beyond its expiry; at least a second).
   * `ttlMs`: the state's life when it was stored, else null.
   */
  openLoginState (stateHash: string, state: LoginState, retentionSeconds: number): Promise<{ session: SessionRecord | null; ttlMs: number | null }>
  /** a state stored for a login that went no further */
  discardLoginState (sessionId: string, stateHash: string): Promise<void>
  /**
   * The callback in one step: takes the state of `sessionId` only if the nonce hash matches (a wrong browser does
   * not burn it, a second take finds nothing), then claims the session and reads it, as claimSession does.
   */
  redeemLoginState (sessionId: string, stateHash: string, nonceHash: string, claimMs: number): Promise<RedeemLoginStateResult>
  /** a state issued before states named their session (kept under its hash alone): taken as redeemLoginState takes one */
  takeLegacyLoginState (stateHash: string, nonceHash: string): Promise<TakeLoginStateResult>
  /** marks a session as being processed and reads it, in one step; not claimed when another request holds it */
  claimSession (id: string, ttlMs: number): Promise<ClaimResult>
  releaseSession (id: string): Promise<void>
  /** the token, sealed, as soon as Meta returned it and before any further step */
  putSealedToken (sessionId: string, sealed: string, ttlSeconds: number): Promise<void>
  getSealedToken (sessionId: string): Promise<string | null>
  /**
   * A session that is `processing`, in one step: the record (kept `ttlSeconds`), its place in the processing
   * index at its next attempt, out of the expiry index (a processing session never expires), and its claim
   * released. The outcome's write takes it out of the processing index.
   */
  recordProcessing (session: SessionRecord, ttlSeconds: number): Promise<void>
  /** processing sessions whose next attempt is due at `before` or earlier, soonest first */
  dueProcessing (before: number, limit: number): Promise<string[]>
  countProcessing (): Promise<number>
  /**
   * Pending sessions whose expiry has passed, each returned by exactly one call across all instances (for the
   * `expired` count): the flows of those sessions. A session enters this index once its flow is fixed, so a
   * session whose admin never chose a flow is not counted here.
   */
  takeExpiredSessions (now: number, limit: number): Promise<FlowName[]>
  /**
   * The IDs of the completed sessions whose `result.business_id` is `businessId`, completed at or after `since`
   * (ms), oldest first (equal times by ID), at most `limit`. Read from an index per business that the outcome
   * writes in its own atomic step (OutboxStore.recordOutcome), never by scanning the sessions.
   */
  completedSessionsOfBusiness (businessId: string, since: number, limit: number): Promise<string[]>
  /** the same for the completed flow 2 sessions of a person (`result.user_id`), which a deauthorize revokes */
  completedSessionsOfUser (userId: string, since: number, limit: number): Promise<string[]>
  /** completed sessions whose provisioning is due at `before` or earlier, soonest first */
  dueProvisioning (before: number, limit: number): Promise<string[]>
  /** expiry notices (noticeMember) due at `before` or earlier and not yet sent nor cancelled, soonest first */
  dueNotices (before: number, limit: number): Promise<string[]>
}
