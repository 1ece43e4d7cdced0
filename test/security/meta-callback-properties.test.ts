// Property-based tests (fast-check) over what anyone on the internet can send to Meta's callback routes:
// bodies, content types, signatures and handshake queries. Whatever arrives without Meta's signature: never a
// 5xx, errors as problem+json, and no event recorded or sent.
import fc from 'fast-check'
import t from 'tap'
import { hubSignature } from '../../src/meta/app-webhook-signature.js'
import { build, VERIFY_TOKEN } from '../helper.js'
import { nothingRecorded } from '../meta/callbacks.js'

const RUNS = Number(process.env.PROPERTY_RUNS ?? 150)
const env = { RATE_LIMIT_BROWSER_PER_MINUTE: '0', BODY_LIMIT_BYTES: '4096' }

const text = fc.oneof(
  fc.string({ maxLength: 200 }),
  fc.string({ unit: 'grapheme', maxLength: 50 }),
  fc.base64String({ maxLength: 200 }).map((s) => s.replace(/\+/g, '-').replace(/\//g, '_')),
  fc.constantFrom('', '.', '..', '=', '%', '%00', 'signed_request', '{}', '[]', 'null', '__proto__', 'A'.repeat(9000), 'A'.repeat(5000) + '.' + 'B'.repeat(5000))
)
const headerValue = fc.string({ maxLength: 120 }).filter((v) => /^[\t\x20-\x7e]*$/.test(v))
const contentType = fc.oneof(fc.constantFrom('application/x-www-form-urlencoded', 'application/json', 'application/json; charset=utf-8', 'text/plain', 'multipart/form-data', ''), headerValue)

function safe (t: { fail: (m: string) => void }, res: { statusCode: number; headers: Record<string, unknown> }, context: string) {
  if (res.statusCode >= 500) t.fail(`${context}: answered ${res.statusCode}`)
  if (res.statusCode >= 400 && !/^application\/problem\+json/.test(String(res.headers['content-type']))) t.fail(`${context}: ${res.statusCode} as ${res.headers['content-type']}`)
}

t.test('the signed-request callbacks, whatever the form: no 5xx, no event', async (t) => {
  const h = await build(t, { env })
  const form = fc.array(fc.tuple(fc.constantFrom('signed_request', 'signed_request', 'x', '__proto__'), text), { maxLength: 4 })
    .map((pairs) => pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&'))
  await fc.assert(fc.asyncProperty(fc.constantFrom('/meta/deauthorize', '/meta/data-deletion'), fc.oneof(form, text), contentType, async (url, payload, type) => {
    const res = await h.app.inject({ method: 'POST', url, headers: { 'content-type': type }, payload })
    safe(t, res, `POST ${url} ${payload.slice(0, 60)}`)
    if (res.statusCode < 400) t.fail(`accepted ${payload.slice(0, 60)}`)
  }), { numRuns: RUNS })
  t.same(await nothingRecorded(h), { deliveries: 0, received: 0 })
})

t.test('app webhooks, whatever the body, signature and query: no 5xx, no event, the challenge only for the token', async (t) => {
  const h = await build(t, { env })
  const body = fc.oneof(text, fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v) ?? ''))
  // the signature of the body under another secret, a broken one, or anything
  const signature = (raw: string) => fc.oneof(fc.constant(undefined), headerValue, fc.constant(hubSignature(raw, 'not-the-app-secret')), fc.constant(hubSignature(raw + 'x', h.config.meta.appSecret)))
  await fc.assert(fc.asyncProperty(body.chain((raw) => fc.tuple(fc.constant(raw), signature(raw), contentType)), async ([raw, sig, type]) => {
    const res = await h.app.inject({ method: 'POST', url: '/meta/webhooks', headers: { 'content-type': type, ...(sig === undefined ? {} : { 'x-hub-signature-256': sig }) }, payload: raw })
    safe(t, res, `POST /meta/webhooks ${raw.slice(0, 60)}`)
    if (res.statusCode < 400) t.fail(`accepted ${raw.slice(0, 60)}`)
  }), { numRuns: RUNS })
  const key = fc.constantFrom('hub.mode', 'hub.verify_token', 'hub.challenge', 'hub.mode', 'x')
  const query = fc.array(fc.tuple(key, fc.oneof(text, fc.constant('subscribe'))), { maxLength: 5 })
  await fc.assert(fc.asyncProperty(query, async (pairs) => {
    const res = await h.app.inject({ url: `/meta/webhooks?${pairs.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&')}` })
    safe(t, res, `GET /meta/webhooks ${JSON.stringify(pairs).slice(0, 80)}`)
    if (res.statusCode === 200) t.fail('a handshake without the verify token succeeded')
    if (res.body.includes(VERIFY_TOKEN)) t.fail('the verify token was echoed')
  }), { numRuns: RUNS })
  t.same(await nothingRecorded(h), { deliveries: 0, received: 0 })
})
