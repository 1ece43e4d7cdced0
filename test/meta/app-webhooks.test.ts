// Meta's app Webhooks: the verification handshake, and notifications accepted only with Meta's
// signature of their exact bytes, each change becoming one meta.app_event verified by the partner.
import t from 'tap'
import { hubSignature } from '../../src/meta/app-webhook-signature.js'
import { appWebhookBody, businessIntegrationValue } from '../../src/sandbox/meta-simulator-callbacks.js'
import { APP_ID, auth, build, VERIFY_TOKEN } from '../helper.js'
import { nothingRecorded, postWebhook } from './callbacks.js'

const handshake = (query: Record<string, string>) => `/meta/webhooks?${new URLSearchParams(query)}`

t.test('the handshake echoes the challenge as plain text only for the verify token', async (t) => {
  const h = await build(t)
  const ok = await h.app.inject({ url: handshake({ 'hub.mode': 'subscribe', 'hub.verify_token': VERIFY_TOKEN, 'hub.challenge': '1158201444' }) })
  t.equal(ok.statusCode, 200)
  t.equal(ok.body, '1158201444')
  t.match(ok.headers['content-type'], /^text\/plain/)
  t.equal(ok.headers['x-content-type-options'], 'nosniff')
  const refused: Array<Record<string, string>> = [
    { 'hub.mode': 'subscribe', 'hub.verify_token': 'wrong-token-0123456789', 'hub.challenge': '1' },
    { 'hub.mode': 'subscribe', 'hub.verify_token': VERIFY_TOKEN.slice(0, -1), 'hub.challenge': '1' },
    { 'hub.mode': 'subscribe', 'hub.challenge': '1' },
    { 'hub.mode': 'unsubscribe', 'hub.verify_token': VERIFY_TOKEN, 'hub.challenge': '1' },
    {}
  ]
  for (const query of refused) {
    const res = await h.app.inject({ url: handshake(query) })
    t.equal(res.statusCode, 403, JSON.stringify(query))
    t.match(res.json(), { code: 'verify_token_mismatch' })
    t.notOk(res.body.includes(VERIFY_TOKEN), 'the token is never echoed')
  }
  const noChallenge = await h.app.inject({ url: handshake({ 'hub.mode': 'subscribe', 'hub.verify_token': VERIFY_TOKEN }) })
  t.equal(noChallenge.statusCode, 400)
  const markup = await h.app.inject({ url: handshake({ 'hub.mode': 'subscribe', 'hub.verify_token': VERIFY_TOKEN, 'hub.challenge': '<script>' }) })
  t.equal(markup.statusCode, 400, 'a challenge that is not a plain token is not reflected')
  t.notMatch(markup.body, /<script>/)
})

t.test('without META_WEBHOOK_VERIFY_TOKEN the app webhooks are off: 404 for the handshake and notifications', async (t) => {
  const h = await build(t, { env: { META_WEBHOOK_VERIFY_TOKEN: undefined } })
  const get = await h.app.inject({ url: handshake({ 'hub.mode': 'subscribe', 'hub.verify_token': VERIFY_TOKEN, 'hub.challenge': '1' }) })
  t.equal(get.statusCode, 404)
  t.match(get.json(), { code: 'not_found' })
  const post = await postWebhook(h, appWebhookBody(APP_ID, 'business_integration_uninstall', {}, 1))
  t.equal(post.statusCode, 404)
  t.same(await nothingRecorded(h), { deliveries: 0, received: 0 })
})

t.test('a signed notification: one meta.app_event per change, with Meta\'s value as sent', async (t) => {
  const h = await build(t)
  const body = JSON.stringify({
    object: 'application',
    entry: [
      { id: APP_ID, time: 1700000001, changes: [{ field: 'business_integration_install', value: { business_id: '111' } }, { field: 'business_integration_update', value: [1, 'two', null] }] },
      { id: APP_ID, time: 1700000002 },
      { id: Number(APP_ID), time: 1700000003, changes: [{ field: 'business_integration_uninstall', value: 'x' }, { field: 'business_integration_uninstall' }] }
    ]
  })
  const res = await postWebhook(h, body)
  t.equal(res.statusCode, 200)
  t.same(res.json(), { status: 'accepted', events: 4 })
  const events = await h.receiver.waitFor((e) => e.length >= 4)
  t.same(h.receiver.rejected, [], 'every event verified with standardwebhooks')
  t.ok(events.every((e) => e.type === 'meta.app_event'))
  t.equal(new Set(events.map((e) => e.id)).size, 4, 'four events')
  const data = events.map((e) => e.body.data).sort((a, b) => a.time - b.time || a.field.localeCompare(b.field) || JSON.stringify(a.value).localeCompare(JSON.stringify(b.value)))
  // Business Integration fields whose value names no business_manager_id: no business, no session
  const none = { business_id: null, session_ids: [] }
  t.strictSame(data, [
    { object: 'application', entry_id: APP_ID, time: 1700000001, field: 'business_integration_install', value: { business_id: '111' }, ...none },
    { object: 'application', entry_id: APP_ID, time: 1700000001, field: 'business_integration_update', value: [1, 'two', null], ...none },
    { object: 'application', entry_id: APP_ID, time: 1700000003, field: 'business_integration_uninstall', value: 'x', ...none },
    { object: 'application', entry_id: APP_ID, time: 1700000003, field: 'business_integration_uninstall', value: null, ...none }
  ])
  const empty = await postWebhook(h, JSON.stringify({ object: 'application', entry: [] }))
  t.same(empty.json(), { status: 'accepted', events: 0 }, 'a notification without changes is accepted with no event')
})

t.test('the signature is over the raw bytes: the same JSON serialised again does not verify', async (t) => {
  const h = await build(t)
  // unusual whitespace, key order and escapes, as another JSON writer might send them
  const raw = '{ "entry" : [ {"changes":[ {"value":{"name":"Caf\\u00e9 \\ud83d\\ude00","slash":"a\\/b"},"field":"business_integration_update"} ],\n "time":1700000000, "id":"' + APP_ID + '"} ],\t"object":"application" }'
  const signature = hubSignature(raw, h.config.meta.appSecret)
  const reserialised = JSON.stringify(JSON.parse(raw))
  t.not(reserialised, raw)
  const forged = await postWebhook(h, reserialised, signature)
  t.equal(forged.statusCode, 401, 'the re-serialised body with the original signature is refused')
  t.same(await nothingRecorded(h), { deliveries: 0, received: 0 })
  const res = await postWebhook(h, raw, signature)
  t.equal(res.statusCode, 200, 'the raw bytes verify')
  const [event] = await h.receiver.waitFor((e) => e.length >= 1)
  t.same(event!.body.data.value, { name: 'Café 😀', slash: 'a/b' })
  const upper = await postWebhook(h, raw, signature.replace('sha256=', 'SHA256=').toUpperCase())
  t.equal(upper.statusCode, 200, 'hex digits in either case')
})

t.test('unsigned, forged or mis-signed notifications: 401, no event', async (t) => {
  const h = await build(t)
  const body = appWebhookBody(APP_ID, 'business_integration_uninstall', businessIntegrationValue(), 1700000000)
  const signatures: Array<string | null> = [
    null,
    '',
    hubSignature(body, 'another-app-secret'),
    hubSignature(body + ' ', h.config.meta.appSecret),
    hubSignature(body, h.config.meta.appSecret).replace('sha256=', 'sha1='),
    hubSignature(body, h.config.meta.appSecret).slice(0, -2),
    `${hubSignature(body, h.config.meta.appSecret)}00`,
    'sha256=' + 'z'.repeat(64)
  ]
  for (const signature of signatures) {
    const res = await postWebhook(h, body, signature)
    t.equal(res.statusCode, 401, String(signature).slice(0, 20))
    t.match(res.json(), { code: 'invalid_signature' })
    t.ok(res.headers['www-authenticate'])
  }
  t.same(await nothingRecorded(h), { deliveries: 0, received: 0 })
})

t.test('signed but not a notification: 400; too large: 413; not JSON: 415; all or none', async (t) => {
  const h = await build(t)
  const changes = (n: number, pad = '') => JSON.stringify({ object: 'application', entry: [{ id: APP_ID, time: 1, changes: Array.from({ length: n }, (_, i) => ({ field: 'f', value: `${i}${pad}` })) }] })
  const cases: Array<[string, string]> = [
    ['not JSON', '{"object":'],
    ['an array', '[]'],
    ['no entry', '{"object":"application"}'],
    ['entry not an array', '{"object":"application","entry":{}}'],
    ['an entry without id', '{"object":"application","entry":[{"time":1}]}'],
    ['an entry without time', `{"object":"application","entry":[{"id":"${APP_ID}"}]}`],
    ['changes not an array', `{"object":"application","entry":[{"id":"${APP_ID}","time":1,"changes":{}}]}`],
    // the first change is valid: nothing of the notification is recorded all the same
    ['a change without field after a valid one', `{"object":"application","entry":[{"id":"${APP_ID}","time":1,"changes":[{"field":"ok","value":1},{"value":2}]}]}`],
    ['more than 1000 changes', changes(1001)]
  ]
  for (const [name, body] of cases) {
    const res = await postWebhook(h, body)
    t.equal(res.statusCode, 400, name)
    t.match(res.json(), { code: 'invalid_request' })
  }
  const big = JSON.stringify({ object: 'application', entry: [{ id: APP_ID, time: 1, changes: [{ field: 'f', value: 'x'.repeat(1024 * 1024) }] }] })
  const tooLarge = await postWebhook(h, big)
  t.equal(tooLarge.statusCode, 413)
  t.match(tooLarge.json(), { code: 'payload_too_large' })
  const form = await h.app.inject({ method: 'POST', url: '/meta/webhooks', headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-hub-signature-256': hubSignature('a=1', h.config.meta.appSecret) }, payload: 'a=1' })
  t.equal(form.statusCode, 415)
  t.match(form.json(), { code: 'unsupported_media_type', detail: /application\/json/ })
  t.same(await nothingRecorded(h), { deliveries: 0, received: 0 })

  // Meta batches: a notification larger than BODY_LIMIT_BYTES (64 KiB) but within 1 MiB is taken whole
  const batch = changes(1000, 'x'.repeat(100))
  t.ok(batch.length > h.config.bodyLimitBytes)
  const accepted = await postWebhook(h, batch)
  t.equal(accepted.statusCode, 200)
  t.same(accepted.json(), { status: 'accepted', events: 1000 })
  t.equal((await h.redis.keys(`${h.prefix}delivery:*`)).length, 1000, 'all 1000 deliveries recorded before the answer')
  await h.receiver.waitFor((e) => e.length >= 1000, 20_000)
})

t.test('app events are retried and redelivered like onboarding events', async (t) => {
  const h = await build(t, { env: { WEBHOOK_RETRY_SCHEDULE: '50ms' } })
  h.receiver.plan.push(500, 204)
  t.equal((await postWebhook(h, appWebhookBody(APP_ID, 'business_integration_uninstall', businessIntegrationValue(), 1))).statusCode, 200)
  const events = await h.receiver.waitFor((e) => e.length >= 2)
  t.equal(events[1]!.id, events[0]!.id, 'the same webhook-id')
  t.same(events.map((e) => e.attempt), [1, 2])
  let delivered: any[] = []
  for (let i = 0; i < 50 && delivered.length === 0; i++) {
    await new Promise((resolve) => setTimeout(resolve, 20))
    delivered = (await h.app.inject({ url: '/v1/deliveries?status=delivered', headers: auth })).json().data
  }
  t.match(delivered, [{ id: events[0]!.id, type: 'meta.app_event', session_id: null, status: 'delivered', attempts: 2 }])
  t.equal((await h.redis.keys(`${h.prefix}event:*`)).length, 0, 'the sealed body is gone once delivered')
})
