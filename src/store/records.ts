// What the stores keep. These shapes are written to Redis as JSON, so a change here must still read the records
// an earlier version wrote; the API views are derived from them (sessions/sessions.ts, webhooks/deliveries.ts).
import type { FlowName } from '../flows/flows.js'

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
  /** `null` while the admin has not chosen among `flows` yet (the flow chooser) */
  flow: FlowName | null
  /** the flows the admin may choose from; absent on sessions written before the chooser existed */
  flows?: FlowName[]
  /** `processing`: the token is held and the steps after the exchange are being attempted again (onboarding/resumption.ts) */
  status: 'pending' | 'processing' | 'completed' | 'failed'
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
  /** while `processing`; absent on sessions written before processing existed */
  processing?: ProcessingState | null
  /** what follows a completed onboarding (provisioning/); null or absent when nothing is provisioned */
  provisioning?: ProvisioningState | null
  /** when the business or person removed the app's access (lifecycle/revocations.ts); absent = never */
  revoked_at?: string | null
}

export type ProvisioningWarningCode =
  | 'page_subscription_failed' | 'check_failed'
  | 'ad_account_not_active' | 'ad_account_region_not_supported' | 'ad_account_no_payment_method'

export interface ProvisioningWarning { code: ProvisioningWarningCode; asset_id: string; message: string }

/** Meta's refusal of one provisioning call, as the event reports it */
export interface ProvisioningError { message: string; meta?: Record<string, string | number | boolean> }

/** one granted Page, as `onboarding.provisioned` reports it (its Page token travels only in the event) */
export interface PageReport {
  id: string
  subscribed_fields: string[]
  subscription: 'subscribed' | 'failed' | 'skipped'
  error?: ProvisioningError
}

export interface AdAccountReport {
  id: string
  billing: boolean
  account_status: number | null
  status: string | null
  business_country_code: string | null
  region_supported: boolean | null
  has_payment_method: boolean | null
  error?: ProvisioningError
}

export interface ProvisioningState {
  status: 'pending' | 'done'
  ready: boolean | null
  warnings: ProvisioningWarning[]
  /** attempts made so far; the next one is due at next_attempt_at */
  attempts?: number
  next_attempt_at?: string | null
  /** the Pages an earlier attempt subscribed: a later attempt repeats the reads, never a write that succeeded */
  subscribed_pages?: string[]
}

export interface ProcessingState {
  /** attempts made so far, the one in the request included */
  attempts: number
  next_attempt_at: string
  /** Meta's last failure, as the session would fail with it once the schedule runs out */
  last_error: OnboardingError
}

/** A session whose flow is fixed: the only kind that can be logged in to, processed and decided. */
export type ChosenSession = SessionRecord & { flow: FlowName; config_id: string }

export const isChosen = (session: SessionRecord): session is ChosenSession => session.flow !== null && session.config_id !== null

/**
 * Where a decided session enters the index of its business's sessions (the outbox's outcome write): only a
 * completed one whose result names a business, scored by when it completed. Failed sessions and user-token
 * sessions (no business) never do.
 */
export function businessEntry (session: SessionRecord): { businessId: string; completedAt: number } | null {
  const businessId = session.status === 'completed' ? session.result?.business_id ?? null : null
  if (businessId === null || session.completed_at === null) return null
  return { businessId, completedAt: Date.parse(session.completed_at) }
}

/** Where a completed flow 2 session enters the index of its person's sessions, which a deauthorize revokes. */
export function userEntry (session: SessionRecord): { userId: string; completedAt: number } | null {
  const userId = session.status === 'completed' ? session.result?.user_id ?? null : null
  if (userId === null || session.completed_at === null) return null
  return { userId, completedAt: Date.parse(session.completed_at) }
}

/** the two notices of a flow 2 token: some time before it expires, and when it does */
export type NoticeKind = 'expiring' | 'expired'

/** a notice's member in the schedule, and its job's ID: the Redis script of the outcome spells it the same way */
export const noticeMember = (kind: NoticeKind, sessionId: string): string => `${kind}.${sessionId}`

export function parseNoticeMember (member: string): { kind: NoticeKind; sessionId: string } | null {
  const match = /^(expiring|expired)\.(.+)$/.exec(member)
  return match ? { kind: match[1] as NoticeKind, sessionId: match[2]! } : null
}

/** whose sessions a later session supersedes: the partner's `external_id` when it has one, else the person */
export const noticeOwner = (by: 'external_id' | 'user_id', value: string): string => `${by}:${value}`

/** the flows a session allows: a session created with `flow` allows that one only */
export const allowedFlows = (session: SessionRecord): FlowName[] => session.flows ?? (session.flow ? [session.flow] : [])

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
  /** with tracing on: the W3C traceparent of the span that decided the event, which each attempt's span links to */
  traceparent?: string
  /** with tracing on: the traceparent of the request that last redelivered it, linked to as well */
  redelivery_traceparent?: string
}

/** a position in a status index: deliveries are ordered by creation time, then ID */
export interface DeliveryCursor { createdAt: number; id: string }

/** A data deletion request from Meta, under its confirmation code. */
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
