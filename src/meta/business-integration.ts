// Meta's Business Integration webhooks: a client business installed, removed or changed the app's integration.
// They come on the Application object (`object: "application"`, `entry[].id` the app ID) with `changes[].field`
// one of the three fields below, and `value` `{"business_manager_id": "…", "tp_config_id": "…"}`: the client's
// business portfolio and the configuration it used
// (https://developers.facebook.com/documentation/facebook-login/facebook-login-for-business/integration-webhooks).
import type { AppWebhookChange } from './app-webhook-payload.js'

export const BUSINESS_INTEGRATION_FIELDS: readonly string[] = ['business_integration_install', 'business_integration_uninstall', 'business_integration_update']

/** a Meta business ID: digits; far longer is not Meta's, and would only make a long store key */
const BUSINESS_ID = /^[0-9]{1,32}$/

export const isBusinessIntegration = (change: AppWebhookChange): boolean =>
  change.object === 'application' && BUSINESS_INTEGRATION_FIELDS.includes(change.field)

/**
 * The client's portfolio of a Business Integration change, as digits: Meta writes IDs as strings, and a number
 * is kept as its digits (as the entry's `id` is). `null` when `value` has no usable `business_manager_id`.
 */
export function businessManagerId (change: AppWebhookChange): string | null {
  const value = change.value
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null
  const id: unknown = (value as Record<string, unknown>).business_manager_id
  const digits = typeof id === 'number' && Number.isSafeInteger(id) && id >= 0 ? String(id) : id
  return typeof digits === 'string' && BUSINESS_ID.test(digits) ? digits : null
}
