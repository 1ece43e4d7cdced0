// The deauthorize and data deletion callbacks: a signed_request is accepted only when Meta's HMAC of
// its payload segment matches, and whatever else arrives is answered 400/413/415 problem+json, never 5xx, and
// records no event.
import { createHmac } from 'node:crypto'
import t from 'tap'
import { signSignedRequest } from '../../src/sandbox/meta-simulator-callbacks.js'
import { auth, build } from '../helper.js'
import { FORM, nothingRecorded, postForm } from './callbacks.js'

const ROUTES = ['/meta/deauthorize', '/meta/data-deletion']
const b64 = (text: string) => Buffer.from(text).toString('base64url')

t.test('a valid deauthorize becomes a meta.deauthorized event, verified by the partner', async (t) => {
  const h = await build(t)
  const signed = h.sim.signedRequest({ algorithm: 'HMAC-SHA256', expires: 1291840400, issued_at: 1291836800, user_id: '218471' })
  const res = await postForm(h, '/meta/deauthorize', { signed_request: signed })
  t.equal(res.statusCode, 200)
  t.same(res.json(), { status: 'accepted', events: 1 })
  t.equal(res.headers['cache-control'], 'no-store')
  const [event] = await h.receiver.waitFor((e) => e.length >= 1)
  t.match(event, { type: 'meta.deauthorized', attempt: 1 })
  t.same(event!.body.data, { user_id: '218471', issued_at: 1291836800 })
  t.match(event!.body.timestamp, /^\d{4}-\d\d-\d\dT/)
  t.same(h.receiver.rejected, [], 'the signature verified with standardwebhooks')
  await new Promise((resolve) => setTimeout(resolve, 100))
  const delivered = (await h.app.inject({ url: '/v1/deliveries?status=delivered', headers: auth })).json().data
  t.match(delivered, [{ id: event!.id, type: 'meta.deauthorized', session_id: null, status: 'delivered', attempts: 1 }])
})

t.test('what Meta may vary is accepted: a numeric user_id, a lower-case algorithm, padding, extra fields', async (t) => {
  const h = await build(t)
  const secret = h.config.meta.appSecret
  const numeric = await postForm(h, '/meta/deauthorize', { signed_request: signSignedRequest({ algorithm: 'hmac-sha256', issued_at: 5, user_id: 1234 }, secret) })
  t.equal(numeric.statusCode, 200)
  const payload = b64(JSON.stringify({ algorithm: 'HMAC-SHA256', issued_at: 6, user_id: '77' })) + '='
  const padded = `${createHmac('sha256', secret).update(payload).digest('base64')}.${payload}`
  t.equal((await postForm(h, '/meta/deauthorize', { signed_request: padded })).statusCode, 400, 'a + or / of plain base64 is not base64url')
  const paddedUrl = `${createHmac('sha256', secret).update(payload).digest('base64url')}=.${payload}`
  t.equal((await postForm(h, '/meta/deauthorize', { signed_request: paddedUrl, other: 'x' })).statusCode, 200, 'trailing padding is tolerated, other fields ignored')
  const events = await h.receiver.waitFor((e) => e.length >= 2)
  t.same(events.map((e) => e.body.data.user_id).sort(), ['1234', '77'])
})

t.test('forged, malformed and oversized signed requests: 400 (or 413), no event, never 5xx', async (t) => {
  const h = await build(t, { env: { BODY_LIMIT_BYTES: '16384' } })
  const secret = h.config.meta.appSecret
  const good = signSignedRequest({ algorithm: 'HMAC-SHA256', issued_at: 1, user_id: '42' }, secret)
  const [sig, payload] = good.split('.') as [string, string]
  const signedPayload = (json: string) => { const p = b64(json); return `${createHmac('sha256', secret).update(p).digest('base64url')}.${p}` }
  const cases: Array<[string, string, number]> = [
    ['another secret', signSignedRequest({ algorithm: 'HMAC-SHA256', issued_at: 1, user_id: '42' }, 'not-the-app-secret'), 400],
    ['wrong algorithm', signSignedRequest({ algorithm: 'HMAC-SHA1', issued_at: 1, user_id: '42' }, secret), 400],
    ['no algorithm', signSignedRequest({ issued_at: 1, user_id: '42' }, secret), 400],
    ['payload changed after signing', `${sig}.${b64(JSON.stringify({ algorithm: 'HMAC-SHA256', issued_at: 1, user_id: '43' }))}`, 400],
    ['truncated signature', `${sig.slice(0, -4)}.${payload}`, 400],
    ['truncated payload', `${sig}.${payload.slice(0, -3)}`, 400],
    ['signature only', sig, 400],
    ['three segments', `${sig}.${payload}.${payload}`, 400],
    ['empty segments', '.', 400],
    ['not base64url', '!!!!.????', 400],
    ['plain base64 characters', `${sig}+/.${payload}`, 400],
    ['payload not JSON', signedPayload('not json'), 400],
    ['payload an array', signedPayload('[1,2]'), 400],
    ['no user_id', signedPayload('{"algorithm":"HMAC-SHA256","issued_at":1}'), 400],
    ['user_id not digits', signedPayload('{"algorithm":"HMAC-SHA256","issued_at":1,"user_id":"12a"}'), 400],
    ['issued_at a string', signedPayload('{"algorithm":"HMAC-SHA256","issued_at":"1","user_id":"1"}'), 400],
    ['huge but under the body limit', `${'A'.repeat(9000)}.${payload}`, 400],
    ['huge over the body limit', `${'A'.repeat(20_000)}.${payload}`, 413]
  ]
  for (const route of ROUTES) {
    for (const [name, value, status] of cases) {
      const res = await postForm(h, route, { signed_request: value })
      t.equal(res.statusCode, status, `${route}: ${name} → ${status}`)
      t.match(res.headers['content-type'], /^application\/problem\+json/)
      if (status === 400) t.match(res.json().code, /^(invalid_signed_request|invalid_request)$/, `${name}: ${res.json().code}`)
      t.notOk(res.body.includes(secret), 'the app secret is never echoed')
    }
  }
  t.same(await nothingRecorded(h), { deliveries: 0, received: 0 })
})

t.test('only a form is taken: another media type is 415, a missing field 400', async (t) => {
  const h = await build(t)
  const signed = h.sim.signedRequest()
  for (const route of ROUTES) {
    const json = await h.app.inject({ method: 'POST', url: route, headers: { 'content-type': 'application/json' }, payload: { signed_request: signed } })
    t.equal(json.statusCode, 415, `${route}: JSON`)
    t.match(json.json(), { code: 'unsupported_media_type', detail: /x-www-form-urlencoded/ })
    const text = await h.app.inject({ method: 'POST', url: route, headers: { 'content-type': 'text/plain' }, payload: `signed_request=${signed}` })
    t.equal(text.statusCode, 415, `${route}: text/plain`)
    const none = await h.app.inject({ method: 'POST', url: route })
    t.equal(none.statusCode, 415, `${route}: no body at all`)
    const missing = await postForm(h, route, { signed })
    t.equal(missing.statusCode, 400, `${route}: no signed_request`)
    t.match(missing.json(), { code: 'invalid_request', errors: [{ field: 'signed_request' }] })
    const empty = await h.app.inject({ method: 'POST', url: route, headers: FORM, payload: '' })
    t.equal(empty.statusCode, 400, `${route}: empty form`)
    const proto = await h.app.inject({ method: 'POST', url: route, headers: FORM, payload: '__proto__=x&constructor=y' })
    t.equal(proto.statusCode, 400, `${route}: __proto__ is only a field`)
  }
  t.same(await nothingRecorded(h), { deliveries: 0, received: 0 })
})

t.test('a meta.deauthorized event is retried like an onboarding event, and can be redelivered once dead', async (t) => {
  const h = await build(t, { env: { WEBHOOK_RETRY_SCHEDULE: '50ms' } })
  h.receiver.plan.push(500, 500)
  t.equal((await postForm(h, '/meta/deauthorize', { signed_request: h.sim.signedRequest() })).statusCode, 200)
  const failed = await h.receiver.waitFor((e) => e.length >= 2)
  t.same(failed.map((e) => e.attempt), [1, 2], 'retried with the same webhook-id')
  let dead: any[] = []
  for (let i = 0; i < 50 && dead.length === 0; i++) {
    await new Promise((resolve) => setTimeout(resolve, 20))
    dead = (await h.app.inject({ url: '/v1/deliveries?status=dead', headers: auth })).json().data
  }
  t.match(dead, [{ id: failed[0]!.id, type: 'meta.deauthorized', session_id: null, attempts: 2, last_error: 'HTTP 500' }])
  const again = await h.app.inject({ method: 'POST', url: `/v1/deliveries/${failed[0]!.id}/redeliver`, headers: auth })
  t.equal(again.statusCode, 202)
  t.match(again.json(), { session_id: null, status: 'pending' })
  const events = await h.receiver.waitFor((e) => e.length >= 3)
  t.equal(events[2]!.id, failed[0]!.id, 'the same event ID')
  t.same(events[2]!.body, failed[0]!.body, 'the same body')
})
