// Creating a session through the partner API (app.inject): a valid create answers 201 with the full session
// object; every bad field, body, media type or size answers the right problem+json and stores nothing; a
// disabled flow is 422; a return_url must sit on an allowed origin.
import t from 'tap'
import { auth, build, CONFIG_IDS, RETURN_ORIGIN } from '../helper.js'
import { call, checkSeenResponses, isProblem, ORIGINS, post, postRaw, SESSION_KEYS, UNKNOWN_ID } from './partner-api-fixtures.js'

t.test('POST /v1/sessions: a valid create answers 201 with the full session object', async (t) => {
  const h = await build(t, { env: { RETURN_URL_ORIGINS: ORIGINS } })
  const before = Date.now()
  const res = await post(h, {
    flow: 'partner_billing',
    external_id: 'tenant-42',
    metadata: { plan: 'pro', nested: { a: [1, 2] } },
    return_url: `${RETURN_ORIGIN}/done?x=1`
  })
  const after = Date.now()
  t.equal(res.statusCode, 201)
  t.match(String(res.headers['content-type']), /^application\/json/)
  t.equal(res.headers['x-content-type-options'], 'nosniff')
  const s = res.json()
  t.match(s.id, /^ses_[0-9a-f]{32}$/)
  t.equal(res.headers.location, `/v1/sessions/${s.id}`)
  t.same(Object.keys(s).sort(), SESSION_KEYS, 'every field of the session object, nothing else')
  t.equal(s.flow, 'partner_billing')
  t.same(s.flows, ['partner_billing'], 'a session created with flow allows that flow only')
  t.equal(s.status, 'pending')
  t.equal(s.external_id, 'tenant-42')
  t.same(s.metadata, { plan: 'pro', nested: { a: [1, 2] } })
  t.equal(s.return_url, `${RETURN_ORIGIN}/done?x=1`, 'the return_url keeps its own query')
  t.equal(s.login_url, `https://onboard.example.com/login/${s.id}`)
  t.equal(s.config_id, CONFIG_IDS.partner_billing)
  const created = Date.parse(s.created_at)
  t.match(s.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)
  t.ok(created >= before && created <= after, 'created_at is now')
  t.equal(Date.parse(s.expires_at) - created, h.config.sessionTtlSeconds * 1000, 'expires_at = created_at + SESSION_TTL_SECONDS')
  t.equal(s.completed_at, null)
  t.equal(s.result, null)
  t.equal(s.error, null)
  t.equal(s.delivery, null)
  t.equal(s.provisioning, null)
  t.equal(s.revoked_at, null)

  // GET answers the same object
  const got = await call(h, { url: res.headers.location as string, headers: auth })
  t.equal(got.statusCode, 200)
  t.equal(got.headers['x-content-type-options'], 'nosniff')
  t.same(got.json(), s)

  // only flow given: every optional field is null
  const minimal = await post(h, { flow: 'business_portfolio' })
  t.equal(minimal.statusCode, 201)
  const m = minimal.json()
  t.same(Object.keys(m).sort(), SESSION_KEYS)
  t.equal(m.external_id, null)
  t.equal(m.metadata, null)
  t.equal(m.return_url, null)
  t.equal(m.config_id, CONFIG_IDS.business_portfolio)
  t.equal(m.login_url, `https://onboard.example.com/login/${m.id}`)
  t.not(m.id, s.id, 'every session has its own id')

  // the third flow and the external_id alphabet at its limits
  const edge = await post(h, { flow: 'asset_based', external_id: 'aZ09._:-'.padEnd(128, 'x'), metadata: {} })
  t.equal(edge.statusCode, 201, '128 characters of the allowed alphabet are accepted')
  t.equal(edge.json().config_id, CONFIG_IDS.asset_based)
  t.same(edge.json().metadata, {})

  // application/json with a charset is JSON
  const charset = await postRaw(h, '/v1/sessions', '{"flow":"business_portfolio"}', 'application/json; charset=utf-8')
  t.equal(charset.statusCode, 201)
})

t.test('POST /v1/sessions: wrong or missing fields are 400 invalid_request naming the field', async (t) => {
  const h = await build(t, { env: { RETURN_URL_ORIGINS: ORIGINS } })
  const cases: Array<[string, unknown, string]> = [
    ['flows given with a typo of a name', { flows: ['business_portfolio', 'asset'] }, 'flows.1'],
    ['unknown flow', { flow: 'flow_4' }, 'flow'],
    ['flow with another case', { flow: 'Business_Portfolio' }, 'flow'],
    ['flow a number', { flow: 1 }, 'flow'],
    ['flow null', { flow: null }, 'flow'],
    ['external_id a number', { flow: 'business_portfolio', external_id: 42 }, 'external_id'],
    ['external_id empty', { flow: 'business_portfolio', external_id: '' }, 'external_id'],
    ['external_id 129 characters', { flow: 'business_portfolio', external_id: 'x'.repeat(129) }, 'external_id'],
    ['external_id with a space', { flow: 'business_portfolio', external_id: 'tenant 42' }, 'external_id'],
    ['external_id with a slash', { flow: 'business_portfolio', external_id: 'tenant/42' }, 'external_id'],
    ['external_id with a non-ASCII letter', { flow: 'business_portfolio', external_id: 'tenánt' }, 'external_id'],
    ['external_id with a newline', { flow: 'business_portfolio', external_id: 'tenant\n42' }, 'external_id'],
    ['metadata an array', { flow: 'business_portfolio', metadata: [1, 2] }, 'metadata'],
    ['metadata a string', { flow: 'business_portfolio', metadata: 'plan=pro' }, 'metadata'],
    ['metadata null', { flow: 'business_portfolio', metadata: null }, 'metadata'],
    ['metadata a number', { flow: 'business_portfolio', metadata: 3 }, 'metadata'],
    ['return_url a number', { flow: 'business_portfolio', return_url: 1 }, 'return_url'],
    ['return_url an object', { flow: 'business_portfolio', return_url: { href: `${RETURN_ORIGIN}/x` } }, 'return_url'],
    ['unknown field', { flow: 'business_portfolio', tenant: 'x' }, 'tenant'],
    ['unknown field beside valid ones', { flow: 'business_portfolio', external_id: 'a', redirect_uri: 'https://evil.example' }, 'redirect_uri']
  ]
  for (const [name, body, field] of cases) {
    await t.test(name, async (t) => {
      isProblem(t, await post(h, body), 400, 'invalid_request', field)
    })
  }
  // none of them stored anything
  const keys = await h.redis.keys(`${h.prefix}session:*`)
  t.same(keys, [], 'no session was stored for a bad request')
})

t.test('POST /v1/sessions: metadata is limited to 4 KiB serialized', async (t) => {
  const h = await build(t)
  // {"k":"…"} is 8 bytes around the value
  const atLimit = { k: 'x'.repeat(4096 - 8) }
  t.equal(Buffer.byteLength(JSON.stringify(atLimit)), 4096)
  const ok = await post(h, { flow: 'business_portfolio', metadata: atLimit })
  t.equal(ok.statusCode, 201, 'exactly 4096 bytes serialized is accepted')
  t.same(ok.json().metadata, atLimit)

  const over = { k: 'x'.repeat(4096 - 7) }
  isProblem(t, await post(h, { flow: 'business_portfolio', metadata: over }), 400, 'invalid_request', 'metadata')

  // bytes, not characters: 2048 two-byte characters + 8 bytes of envelope is over the limit
  const multibyte = { k: 'é'.repeat(2045) }
  t.ok(JSON.stringify(multibyte).length <= 4096 && Buffer.byteLength(JSON.stringify(multibyte)) > 4096)
  isProblem(t, await post(h, { flow: 'business_portfolio', metadata: multibyte }), 400, 'invalid_request', 'metadata')
})

t.test('POST /v1/sessions: bodies that are not a JSON object', async (t) => {
  const h = await build(t)
  const invalid = isProblem(t, await postRaw(h, '/v1/sessions', '{"flow": "business_portfolio",', 'application/json'), 400, 'invalid_request')
  t.match(invalid.detail, /JSON/i, 'says the JSON is invalid')
  isProblem(t, await postRaw(h, '/v1/sessions', '', 'application/json'), 400, 'invalid_request')
  isProblem(t, await postRaw(h, '/v1/sessions', 'null', 'application/json'), 400, 'invalid_request')
  isProblem(t, await postRaw(h, '/v1/sessions', '[{"flow":"business_portfolio"}]', 'application/json'), 400, 'invalid_request')
  isProblem(t, await postRaw(h, '/v1/sessions', '"business_portfolio"', 'application/json'), 400, 'invalid_request')
  isProblem(t, await postRaw(h, '/v1/sessions', '42', 'application/json'), 400, 'invalid_request')
  // no body at all
  isProblem(t, await call(h, { method: 'POST', url: '/v1/sessions', headers: auth }), 400, 'invalid_request')
})

t.test('POST /v1/sessions: a body that is not application/json is 415 unsupported_media_type', async (t) => {
  const h = await build(t)
  isProblem(t, await postRaw(h, '/v1/sessions', 'flow=business_portfolio', 'application/x-www-form-urlencoded'), 415, 'unsupported_media_type')
  isProblem(t, await postRaw(h, '/v1/sessions', '<flow>business_portfolio</flow>', 'application/xml'), 415, 'unsupported_media_type')
  // text/plain carrying perfectly good JSON is still not application/json
  isProblem(t, await postRaw(h, '/v1/sessions', '{"flow":"business_portfolio"}', 'text/plain'), 415, 'unsupported_media_type')
  isProblem(t, await postRaw(h, '/v1/sessions/' + UNKNOWN_ID + '/code', '{"code":"abc"}', 'text/plain'), 415, 'unsupported_media_type')
})

t.test('POST /v1/sessions: a body above BODY_LIMIT_BYTES is 413 payload_too_large', async (t) => {
  const h = await build(t, { env: { BODY_LIMIT_BYTES: '2048' } })
  const big = JSON.stringify({ flow: 'business_portfolio', metadata: { k: 'x'.repeat(3000) } })
  isProblem(t, await postRaw(h, '/v1/sessions', big, 'application/json'), 413, 'payload_too_large')
  isProblem(t, await postRaw(h, `/v1/sessions/${UNKNOWN_ID}/code`, JSON.stringify({ code: 'c'.repeat(2040) + 'x'.repeat(100) }), 'application/json'), 413, 'payload_too_large')
  // just under the limit still goes through
  const small = JSON.stringify({ flow: 'business_portfolio', metadata: { k: 'x'.repeat(1500) } })
  t.ok(Buffer.byteLength(small) < 2048)
  t.equal((await postRaw(h, '/v1/sessions', small, 'application/json')).statusCode, 201)
})

t.test('POST /v1/sessions: prototype pollution attempts are refused and pollute nothing', async (t) => {
  const h = await build(t)
  const attempts = [
    '{"flow":"business_portfolio","__proto__":{"polluted":"yes"}}',
    '{"flow":"business_portfolio","metadata":{"__proto__":{"polluted":"yes"}}}',
    '{"flow":"business_portfolio","constructor":{"prototype":{"polluted":"yes"}}}',
    '{"flow":"business_portfolio","metadata":{"constructor":{"prototype":{"polluted":"yes"}}}}'
  ]
  for (const body of attempts) {
    const res = await postRaw(h, '/v1/sessions', body, 'application/json')
    isProblem(t, res, 400, 'invalid_request')
  }
  t.equal(({} as any).polluted, undefined, 'Object.prototype untouched')
  t.equal((Object.prototype as any).polluted, undefined)
})

t.test('POST /v1/sessions: a flow whose configuration ID is unset is 422 flow_disabled', async (t) => {
  const h = await build(t, { env: { META_CONFIG_ID_ASSET_BASED: '' } })
  const body = isProblem(t, await post(h, { flow: 'asset_based' }), 422, 'flow_disabled')
  t.match(body.detail, /asset_based/)
  t.equal((await post(h, { flow: 'business_portfolio' })).statusCode, 201, 'the other flows still work')
  // the check does not let a bad field through either
  isProblem(t, await post(h, { flow: 'asset_based', external_id: '' }), 400, 'invalid_request', 'external_id')
})

t.test('POST /v1/sessions: return_url must be on an allowed origin', async (t) => {
  const h = await build(t, { env: { RETURN_URL_ORIGINS: ORIGINS } })
  const refused = [
    'not a url',
    'app.example.com/done',
    '/onboarding/done',
    '//app.example.com/done',
    'http://insecure.example.com/x', // allowed origin but http on a non-loopback host
    'http://app.example.com/done', // the allowed host without TLS
    'https://evil.example.com/done',
    'https://app.example.com.evil.com/done',
    'https://app.example.com:8443/done', // same host, another port
    'https://u:p@app.example.com/x',
    'https://u@app.example.com/x',
    'javascript:alert(document.cookie)',
    'data:text/html,<script>alert(1)</script>',
    'http://localhost:4001/x', // loopback but another port
    'https://localhost:4000/x', // loopback, allowed port, other scheme
    ''
  ]
  for (const returnUrl of refused) {
    await t.test(`refused: ${JSON.stringify(returnUrl)}`, async (t) => {
      isProblem(t, await post(h, { flow: 'business_portfolio', return_url: returnUrl }), 422, 'return_url_not_allowed')
    })
  }
  const accepted = await post(h, { flow: 'business_portfolio', return_url: `${RETURN_ORIGIN}/done?x=1&y=a%20b#frag` })
  t.equal(accepted.statusCode, 201)
  t.equal(new URL(accepted.json().return_url).search, '?x=1&y=a%20b', 'its own query is kept')

  const loopback = await post(h, { flow: 'business_portfolio', return_url: 'http://localhost:4000/x' })
  t.equal(loopback.statusCode, 201, 'http on a loopback host of an allowed origin')
  t.equal(loopback.json().return_url, 'http://localhost:4000/x')
})

t.test('POST /v1/sessions: with RETURN_URL_ORIGINS empty every return_url is refused', async (t) => {
  const h = await build(t, { env: { RETURN_URL_ORIGINS: '' } })
  isProblem(t, await post(h, { flow: 'business_portfolio', return_url: `${RETURN_ORIGIN}/done` }), 422, 'return_url_not_allowed')
  isProblem(t, await post(h, { flow: 'business_portfolio', return_url: 'http://localhost:4000/x' }), 422, 'return_url_not_allowed')
  t.equal((await post(h, { flow: 'business_portfolio' })).statusCode, 201, 'without return_url a session opens')
})

t.test('no response of this file carried an API key, and every one carried nosniff', async (t) => {
  checkSeenResponses(t, 50)
})
