// The events of Meta's app callbacks: they travel to the partner platform like the onboarding events,
// with the same signature and the same durable delivery, but belong to no onboarding session.
import type { AppWebhookChange } from '../meta/app-webhook-payload.js'
import type { SignedRequestPayload } from '../meta/signed-request.js'
import { event, type WebhookEvent } from './events.js'

/** a person removed the app (the deauthorize callback) */
export const deauthorizedEvent = (request: SignedRequestPayload, now: number): WebhookEvent =>
  event('meta.deauthorized', { user_id: request.user_id, issued_at: request.issued_at }, now)

/** a person asked for their data to be deleted; the partner platform deletes it and may report completion */
export const dataDeletionRequestedEvent = (request: SignedRequestPayload, confirmationCode: string, statusUrl: string, now: number): WebhookEvent =>
  event('meta.data_deletion_requested', { user_id: request.user_id, issued_at: request.issued_at, confirmation_code: confirmationCode, status_url: statusUrl }, now)

/** one change of a Meta Webhooks notification, e.g. `business_integration_uninstall` */
export const appEvent = (change: AppWebhookChange, now: number): WebhookEvent =>
  event('meta.app_event', { object: change.object, entry_id: change.entry_id, time: change.time, field: change.field, value: change.value }, now)
