// What the store keeps. These shapes are written to Redis as JSON; the API view is derived in session-view.ts.
import type { FlowName } from '../onboarding/flows.js'

export type OnboardingErrorCode =
  | 'user_denied' | 'login_error' | 'code_exchange_failed' | 'token_invalid' | 'missing_permissions'
  | 'flow_mismatch' | 'missing_assets' | 'asset_connection_failed' | 'upstream_unavailable'

export interface OnboardingError {
  code: OnboardingErrorCode
  message: string
  missing_scopes?: string[]
  meta?: Record<string, string | number | boolean>
}

export interface SessionResult {
  business_id: string | null
  system_user_id: string | null
  user_id: string | null
  page_ids: string[]
  ad_account_ids: string[]
  billing_ad_account_id: string | null
  token_type: 'system_user' | 'user'
  token_expires_at: string | null
  scopes: string[]
}

export interface SessionRecord {
  id: string
  /** `null` while the admin has not chosen among `flows` yet (SPEC §6, the flow chooser) */
  flow: FlowName | null
  /** the flows the admin may choose from; absent on sessions written before the chooser existed */
  flows?: FlowName[]
  status: 'pending' | 'completed' | 'failed'
  external_id: string | null
  metadata: Record<string, unknown> | null
  return_url: string | null
  /** the configuration ID of `flow`; `null` while the flow is not chosen */
  config_id: string | null
  created_at: string
  expires_at: string
  completed_at: string | null
  result: SessionResult | null
  error: OnboardingError | null
  /** the event of this session's outcome, once decided */
  event_id: string | null
}

/** A session whose flow is fixed: the only kind that can be logged in to, processed and decided. */
export type ChosenSession = SessionRecord & { flow: FlowName; config_id: string }

export const isChosen = (session: SessionRecord): session is ChosenSession => session.flow !== null && session.config_id !== null

/** the flows a session allows: a session created with `flow` allows that one only */
export const allowedFlows = (session: SessionRecord): FlowName[] => session.flows ?? (session.flow ? [session.flow] : [])

export type ChooseFlowResult =
  | { status: 'chosen'; session: ChosenSession }
  /** the flow was already fixed (by an earlier or a concurrent choice): the session as it is */
  | { status: 'already_chosen'; session: ChosenSession }
  | { status: 'missing' }

/** A login state: kept under the SHA-256 of the state, so a copy of Redis holds nothing usable. */
export interface LoginState {
  session_id: string
  nonce_hash: string
}

export type DeliveryStatus = 'pending' | 'delivered' | 'dead'

export interface DeliveryRecord {
  id: string
  type: string
  /** the session whose outcome the event reports; null for Meta's app callbacks, which have none */
  session_id: string | null
  status: DeliveryStatus
  attempts: number
  last_error: string | null
  created_at: string
  updated_at: string
  /** attempts made before the current retry schedule began (a redelivery starts a fresh one) */
  schedule_offset?: number
  /** the request that decided the outcome, so its logs and the delivery's can be followed together */
  request_id?: string
}

/** a position in a status index: deliveries are ordered by creation time, then ID */
export interface DeliveryCursor { createdAt: number; id: string }

export type TakeLoginStateResult =
  | { status: 'ok'; state: LoginState }
  | { status: 'missing' }
  | { status: 'browser_mismatch' }

/** Everything a session's outcome writes, in one atomic step (the outbox rule of SPEC §5). */
export interface OutcomeWrite {
  session: SessionRecord
  delivery: DeliveryRecord
  /** the webhook body, sealed: it may carry the token */
  sealedEvent: string
  retentionSeconds: number
}

/** A data deletion request from Meta (SPEC §6), under its confirmation code. */
export interface DataDeletionRecord {
  confirmation_code: string
  user_id: string
  /** Unix seconds, from the signed request */
  issued_at: number
  received_at: string
  /** the `meta.data_deletion_requested` event: its delivery says when the partner acknowledged it */
  event_id: string
  status: 'received' | 'completed'
  /** when the partner acknowledged the event (2xx), copied from the delivery once known */
  acknowledged_at: string | null
  completed_at: string | null
}

/** Events that belong to no session, written in one atomic step with their deliveries (the outbox rule). */
export interface EventsWrite {
  events: Array<{ delivery: DeliveryRecord; sealedEvent: string }>
  retentionSeconds: number
  /** written in the same step, so a request is never recorded without its event or the reverse */
  dataDeletion?: DataDeletionRecord
}

export interface Store {
  readonly kind: 'redis' | 'memory'
  /** resolves with the round-trip time in ms; rejects when the store does not answer */
  ping (): Promise<number>
  createSession (session: SessionRecord, ttlSeconds: number): Promise<void>
  getSession (id: string): Promise<SessionRecord | null>
  /**
   * Fixes the flow of a session created without one, atomically: of two concurrent choices exactly one
   * returns `chosen`. The session then joins the expiry index under its flow.
   */
  chooseFlow (id: string, flow: FlowName, configId: string): Promise<ChooseFlowResult>
  putLoginState (stateHash: string, state: LoginState, ttlSeconds: number): Promise<void>
  /** takes the state only if the nonce hash matches, atomically: a second take finds nothing */
  takeLoginState (stateHash: string, nonceHash: string): Promise<TakeLoginStateResult>
  /** marks a session as being processed and reads it, in one step; not claimed when another request holds it */
  claimSession (id: string, ttlMs: number): Promise<{ claimed: false } | { claimed: true; session: SessionRecord | null }>
  releaseSession (id: string): Promise<void>
  /** the token, sealed, as soon as Meta returned it and before any further step */
  putSealedToken (sessionId: string, sealed: string, ttlSeconds: number): Promise<void>
  recordOutcome (write: OutcomeWrite): Promise<void>
  /** all the events or none, each as a pending delivery with its sealed body */
  recordEvents (write: EventsWrite): Promise<void>
  getDataDeletion (code: string): Promise<DataDeletionRecord | null>
  putDataDeletion (record: DataDeletionRecord, ttlSeconds: number): Promise<void>
  /**
   * Pending sessions whose expiry has passed, each returned by exactly one call across all instances (for the
   * `expired` count): the flows of those sessions. A session enters this index once its flow is fixed, so a
   * session whose admin never chose a flow is not counted here.
   */
  takeExpiredSessions (now: number, limit: number): Promise<FlowName[]>
  getDelivery (id: string): Promise<DeliveryRecord | null>
  /** the delivery and its sealed event body, read together */
  getDeliveryWithEvent (id: string): Promise<{ delivery: DeliveryRecord | null; sealedEvent: string | null }>
  /** writes the delivery and moves it to the index of its status; `dropEvent` deletes the sealed body with it */
  putDelivery (delivery: DeliveryRecord, ttlSeconds: number, options?: { dropEvent?: boolean }): Promise<void>
  /** oldest `created_at` first; `after` is the last item of the previous page */
  listDeliveries (status: DeliveryStatus, limit: number, after?: DeliveryCursor): Promise<{ items: DeliveryRecord[]; next: DeliveryCursor | null }>
  deliveryStats (): Promise<{ pending: number; dead: number; oldestPendingCreatedAt: number | null }>
  /** forgets index entries of deliveries finished before `olderThan` (their records expire by TTL) */
  trimDeliveryIndexes (olderThan: number): Promise<void>
  close (): Promise<void>
}
