// What the partner API tests share: every response goes through `call`, so that the last test of each file can
// check that none of them carried an API key, went without nosniff or was a 5xx; and `isProblem`, the shape of
// every refusal (the right status and code as problem+json, never a 5xx, no stack trace, the field named).
import type { Test } from 'tap'
import type { InjectOptions, LightMyRequestResponse } from 'fastify'
import { API_KEY, auth, RETURN_ORIGIN, type Harness } from '../helper.js'

export const SESSION_KEYS = [
  'completed_at', 'config_id', 'created_at', 'delivery', 'error', 'expires_at', 'external_id', 'flow', 'flows', 'id',
  'login_url', 'metadata', 'processing', 'provisioning', 'result', 'return_url', 'revoked_at', 'status'
]
export const UNKNOWN_ID = 'ses_' + '0'.repeat(32)
export const ORIGINS = `${RETURN_ORIGIN},http://localhost:4000,http://insecure.example.com`

/** every response of the test file, to check at the end that no key ever leaks */
const seen: LightMyRequestResponse[] = []

export async function call (h: Harness, opts: InjectOptions): Promise<LightMyRequestResponse> {
  const res = await h.app.inject(opts)
  seen.push(res)
  return res
}

export const post = (h: Harness, payload: unknown, headers: Record<string, string> = {}) =>
  call(h, { method: 'POST', url: '/v1/sessions', headers: { ...auth, ...headers }, payload: payload as any })

/** raw body with an explicit content type */
export const postRaw = (h: Harness, url: string, body: string, contentType: string, headers: Record<string, string> = {}) =>
  call(h, { method: 'POST', url, headers: { ...auth, 'content-type': contentType, ...headers }, body })

export function isProblem (t: Test, res: LightMyRequestResponse, status: number, code: string, field?: string): any {
  t.equal(res.statusCode, status, `status ${status} for ${code}`)
  t.ok(res.statusCode < 500, 'never a 5xx')
  t.match(String(res.headers['content-type']), /^application\/problem\+json/, 'problem+json')
  t.equal(res.headers['x-content-type-options'], 'nosniff')
  let body: any
  try {
    body = res.json()
  } catch {
    t.fail(`body is not JSON: ${res.body.slice(0, 200)}`)
    return {}
  }
  t.equal(body.code, code, `code ${code}`)
  t.equal(body.status, res.statusCode, 'status in the body matches')
  t.type(body.type, 'string')
  t.type(body.title, 'string')
  t.type(body.detail, 'string')
  t.notMatch(res.body, /\bat .+\.(ts|js):\d+/, 'no stack trace')
  if (field !== undefined) {
    const fields: string[] = (body.errors ?? []).flatMap((e: { field: string }) => e.field.split(', '))
    t.ok(fields.includes(field), `names the field ${field} (errors: ${JSON.stringify(body.errors)})`)
    t.match(body.detail, field, `detail names ${field}`)
  }
  return body
}

/** every response `call` saw in this file (more than `atLeast` of them) carried no API key and nosniff, and none was a 5xx */
export function checkSeenResponses (t: Test, atLeast: number): void {
  t.ok(seen.length > atLeast, `${seen.length} responses checked`)
  for (const res of seen) {
    const text = res.body + JSON.stringify(res.headers)
    if (text.includes(API_KEY)) t.fail(`a response carried the API key: ${res.statusCode} ${res.body.slice(0, 200)}`)
    if (res.headers['x-content-type-options'] !== 'nosniff') t.fail(`a ${res.statusCode} response without nosniff`)
    if (res.statusCode >= 500) t.fail(`a 5xx: ${res.statusCode} ${res.body.slice(0, 200)}`)
  }
}
