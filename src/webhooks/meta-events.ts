// The events of Meta's app callbacks: they travel to the partner platform like the onboarding events,
// with the same signature and the same durable delivery, but belong to no onboarding session.
import type { AppWebhookChange } from '../meta/app-webhook-payload.js'
import { businessManagerId, isBusinessIntegration } from '../meta/business-integration.js'
import type { SignedRequestPayload } from '../meta/signed-request.js'
import { event, type WebhookEvent } from './events.js'

/** a person removed the app (the deauthorize callback) */
export const deauthorizedEvent = (request: SignedRequestPayload, now: number): WebhookEvent =>
  event('meta.deauthorized', { user_id: request.user_id, issued_at: request.issued_at }, now)

/** a person asked for their data to be deleted; the partner platform deletes it and may report completion */
export const dataDeletionRequestedEvent = (request: SignedRequestPayload, confirmationCode: string, statusUrl: string, now: number): WebhookEvent =>
  // beside the request it reports, which is recorded in the same step
  event('meta.data_deletion_requested', { user_id: request.user_id, issued_at: request.issued_at, confirmation_code: confirmationCode, status_url: statusUrl }, now, confirmationCode)

/** the completed sessions of each business a notification names, read before its events are built */
export type SessionsOfBusiness = ReadonlyMap<string, readonly string[]>

/**
 * One change of a Meta Webhooks notification, `value` as Meta sent it. A Business Integration change (e.g.
 * `business_integration_uninstall`) also names its business, `value.business_manager_id`, and that business's
 * completed sessions, so the partner can tie it to its tenants; without a usable ID, `business_id` is `null`
 * and no session is named. Other fields carry nothing more. `near`: the same for every change of one notification,
 * whose events are recorded in one step (newEventId).
 */
export function appEvent (change: AppWebhookChange, now: number, sessionsOf: SessionsOfBusiness, near: string): WebhookEvent {
  const data = { object: change.object, entry_id: change.entry_id, time: change.time, field: change.field, value: change.value }
  if (!isBusinessIntegration(change)) return event('meta.app_event', data, now, near)
  const businessId = businessManagerId(change)
  const sessionIds = businessId === null ? [] : [...sessionsOf.get(businessId) ?? []]
  return event('meta.app_event', { ...data, business_id: businessId, session_ids: sessionIds }, now, near)
}
