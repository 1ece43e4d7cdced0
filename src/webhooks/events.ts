// The webhook bodies (openapi.yaml, `webhooks`). A body is serialised once, when the outcome is decided, and sent
// byte-identical on every retry, so a receiver that deduplicates by `webhook-id` sees the same event each time.
import { newEventId } from '../lib/ids.js'
import type { OnboardingError, SessionRecord, SessionResult } from '../store/records.js'

export type EventType = 'onboarding.completed' | 'onboarding.failed'
  // what follows a completed onboarding (lifecycle-events.ts)
  | 'onboarding.provisioned' | 'onboarding.token_expiring' | 'onboarding.token_expired' | 'onboarding.revoked'
  // Meta's app callbacks, passed on to the partner platform (meta-events.ts)
  | 'meta.deauthorized' | 'meta.data_deletion_requested' | 'meta.app_event'

export interface WebhookEvent { id: string; type: EventType; body: string }

/** what every event of a session starts with */
export function subject (session: SessionRecord) {
  return { session_id: session.id, external_id: session.external_id, metadata: session.metadata, flow: session.flow }
}

/** `near`: the session (or the other events of one step) the event is kept beside (newEventId) */
export function event (type: EventType, data: unknown, now: number, near?: string): WebhookEvent {
  return { id: newEventId(near), type, body: JSON.stringify({ type, timestamp: new Date(now).toISOString(), data }) }
}

export function completedEvent (session: SessionRecord, result: SessionResult, accessToken: string, now: number): WebhookEvent {
  return event('onboarding.completed', {
    ...subject(session),
    access_token: accessToken,
    token_type: result.token_type,
    token_expires_at: result.token_expires_at,
    scopes: result.scopes,
    business_id: result.business_id,
    system_user_id: result.system_user_id,
    user_id: result.user_id,
    page_ids: result.page_ids,
    ad_account_ids: result.ad_account_ids,
    billing_ad_account_id: result.billing_ad_account_id
  }, now, session.id)
}

export function failedEvent (session: SessionRecord, error: OnboardingError, now: number): WebhookEvent {
  return event('onboarding.failed', { ...subject(session), error }, now, session.id)
}
