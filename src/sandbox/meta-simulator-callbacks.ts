// What Meta sends to an app's own endpoints, signed with the app secret exactly as Meta signs it: the
// deauthorize and data deletion callbacks (a form with `signed_request`) and the app's Webhooks (the
// verification handshake, and notifications with X-Hub-Signature-256). Used by the tests and by the
// sandbox's buttons. A Business Integration change's `value` is what Meta documents,
// `{"business_manager_id": "…", "tp_config_id": "…"}`: the client's portfolio and the configuration it used
// (https://developers.facebook.com/documentation/facebook-login/facebook-login-for-business/integration-webhooks).
import { randomBytes } from 'node:crypto'
import { hubSignature } from '../meta/app-webhook-signature.js'
import { signedRequestSignature } from '../meta/signed-request.js'

export type SignedRequestFields = Record<string, unknown>

/** `base64url(HMAC-SHA256(payload segment)).base64url(payload JSON)`, as Meta builds it */
export function signSignedRequest (payload: SignedRequestFields, appSecret: string): string {
  const segment = Buffer.from(JSON.stringify(payload)).toString('base64url')
  return `${signedRequestSignature(segment, appSecret).toString('base64url')}.${segment}`
}

/** a fresh app-scoped user ID, digits as Meta writes them */
export const newAppScopedUserId = (): string => String(10_000_000_000_000n + BigInt(`0x${randomBytes(6).toString('hex')}`))

/** a fresh ID of the kind Meta gives business portfolios and configurations: 15 to 16 digits */
const newMetaId = (): string => String(100_000_000_000_000n + BigInt(`0x${randomBytes(6).toString('hex')}`))

/** the `value` of a Business Integration change: the given portfolio (a fresh one if none) and a configuration */
export function businessIntegrationValue (businessId: string = newMetaId(), tpConfigId: string = newMetaId()): { business_manager_id: string; tp_config_id: string } {
  return { business_manager_id: businessId, tp_config_id: tpConfigId }
}

/** the payload of a deauthorize or data deletion callback */
export function signedRequestPayload (nowSeconds: number, userId = newAppScopedUserId()): SignedRequestFields {
  return { algorithm: 'HMAC-SHA256', expires: nowSeconds + 3600, issued_at: nowSeconds, user_id: userId }
}

/** the body of an app webhook notification for one field of the Application object */
export function appWebhookBody (appId: string, field: string, value: unknown, nowSeconds: number): string {
  return JSON.stringify({ object: 'application', entry: [{ id: appId, time: nowSeconds, changes: [{ field, value }] }] })
}

export interface CallbackAnswer { status: number; body: string }

async function answer (res: Response): Promise<CallbackAnswer> {
  return { status: res.status, body: await res.text() }
}

/** POSTs a signed_request to one of the dashboard's callback URLs, as a form, as Meta does */
export async function postSignedRequest (url: string, signedRequest: string): Promise<CallbackAnswer> {
  return answer(await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ signed_request: signedRequest }).toString()
  }))
}

/** POSTs a notification to the app's Webhooks callback URL, signed over exactly these bytes */
export async function postAppWebhook (url: string, body: string, appSecret: string): Promise<CallbackAnswer> {
  return answer(await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-hub-signature-256': hubSignature(body, appSecret) },
    body
  }))
}

/** the handshake Meta makes when the app subscribes: the endpoint must echo the challenge */
export async function verifySubscription (url: string, verifyToken: string): Promise<CallbackAnswer & { echoed: boolean }> {
  const challenge = String(Number.parseInt(randomBytes(4).toString('hex'), 16))
  const target = new URL(url)
  target.search = new URLSearchParams({ 'hub.mode': 'subscribe', 'hub.verify_token': verifyToken, 'hub.challenge': challenge }).toString()
  const result = await answer(await fetch(target))
  return { ...result, echoed: result.status === 200 && result.body === challenge }
}
