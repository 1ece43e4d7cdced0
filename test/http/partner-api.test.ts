// The partner API through app.inject: every bad input of SPEC §3 answers the right problem+json, never a 5xx,
// and the happy paths answer the session object of SPEC §3.
import t, { type Test } from 'tap'
import type { InjectOptions, LightMyRequestResponse } from 'fastify'
import { API_KEY, auth, build, CONFIG_IDS, createSession, GRANTS, RETURN_ORIGIN, type Harness } from '../helper.js'

const SESSION_KEYS = [
  'completed_at', 'config_id', 'created_at', 'delivery', 'error', 'expires_at', 'external_id', 'flow', 'flows', 'id',
  'login_url', 'metadata', 'result', 'return_url', 'status'
]
const UNKNOWN_ID = 'ses_' + '0'.repeat(32)
const ORIGINS = `${RETURN_ORIGIN},http://localhost:4000,http://insecure.example.com`

/** every response of this file, to check at the end that no key ever leaks */
const seen: LightMyRequestResponse[] = []

async function call (h: Harness, opts: InjectOptions): Promise<LightMyRequestResponse> {
  const res = await h.app.inject(opts)
  seen.push(res)
  return res
}

const post = (h: Harness, payload: unknown, headers: Record<string, string> = {}) =>
  call(h, { method: 'POST', url: '/v1/sessions', headers: { ...auth, ...headers }, payload: payload as any })

/** raw body with an explicit content type */
const postRaw = (h: Harness, url: string, body: string, contentType: string, headers: Record<string, string> = {}) =>
  call(h, { method: 'POST', url, headers: { ...auth, 'content-type': contentType, ...headers }, body })

function isProblem (t: Test, res: LightMyRequestResponse, status: number, code: string, field?: string): any {
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
  t.same(Object.keys(s).sort(), SESSION_KEYS, 'every field of SPEC §3, nothing else')
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
  // text/plain carrying perfectly good JSON is still not application/json (SPEC §3)
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

t.test('GET /v1/sessions/{id}: unknown or malformed ids are 404 session_not_found', async (t) => {
  const h = await build(t)
  const ids = [
    UNKNOWN_ID,
    'ses_' + 'f'.repeat(32),
    'ses_XYZ',
    'abc',
    'ses_' + '0'.repeat(31) + 'G',
    'SES_' + '0'.repeat(32),
    encodeURIComponent('ses_../../x'),
    '%00',
    'x'.repeat(100),
    'x'.repeat(300)
  ]
  for (const id of ids) {
    await t.test(`id ${id.length > 40 ? `of ${id.length} characters` : JSON.stringify(id)}`, async (t) => {
      isProblem(t, await call(h, { url: `/v1/sessions/${id}`, headers: auth }), 404, 'session_not_found')
    })
  }
})

t.test('GET /v1/sessions/{id}: a pending session past expires_at reads expired', async (t) => {
  let fakeNow = Date.parse('2026-11-24T12:00:00.000Z')
  const h = await build(t, { env: { SESSION_TTL_SECONDS: '60' }, deps: { now: () => fakeNow } })
  const s = await createSession(h, { flow: 'business_portfolio' })
  t.equal(s.created_at, '2026-11-24T12:00:00.000Z', 'created_at comes from the clock')
  t.equal(s.expires_at, '2026-11-24T12:01:00.000Z', 'expires_at = created_at + SESSION_TTL_SECONDS')
  const read = async () => (await call(h, { url: `/v1/sessions/${s.id}`, headers: auth })).json()

  fakeNow += 59_999
  t.equal((await read()).status, 'pending', 'one millisecond before expires_at')
  fakeNow += 1
  t.equal((await read()).status, 'expired', 'at expires_at')
  fakeNow += 3600_000
  const later = await read()
  t.equal(later.status, 'expired')
  t.equal(later.completed_at, null)
  t.equal(later.delivery, null, 'no webhook for expiry')

  // and an expired session takes no code
  const code = h.sim.issueCode(GRANTS.business_portfolio)
  isProblem(t, await call(h, { method: 'POST', url: `/v1/sessions/${s.id}/code`, headers: auth, payload: { code } }), 409, 'session_not_pending')
  t.equal(h.sim.callsTo('exchange').length, 0, 'Meta was not called')
  t.equal(h.receiver.events.length, 0)
})

t.test('POST /v1/sessions/{id}/code: bad bodies and unknown sessions', async (t) => {
  const h = await build(t)
  const s = await createSession(h, { flow: 'business_portfolio' })
  const url = `/v1/sessions/${s.id}/code`
  const postCode = (payload: unknown) => call(h, { method: 'POST', url, headers: auth, payload: payload as any })
  isProblem(t, await postCode({}), 400, 'invalid_request', 'code')
  isProblem(t, await postCode({ code: '' }), 400, 'invalid_request', 'code')
  isProblem(t, await postCode({ code: 'c'.repeat(2049) }), 400, 'invalid_request', 'code')
  isProblem(t, await postCode({ code: 42 }), 400, 'invalid_request', 'code')
  isProblem(t, await postCode({ code: 'abc', state: 'x' }), 400, 'invalid_request', 'state')
  isProblem(t, await postRaw(h, url, '{"code":', 'application/json'), 400, 'invalid_request')
  isProblem(t, await postRaw(h, url, 'code=abc', 'application/x-www-form-urlencoded'), 415, 'unsupported_media_type')
  isProblem(t, await call(h, { method: 'POST', url: `/v1/sessions/${UNKNOWN_ID}/code`, headers: auth, payload: { code: 'abc' } }), 404, 'session_not_found')
  isProblem(t, await call(h, { method: 'POST', url: '/v1/sessions/ses_nope/code', headers: auth, payload: { code: 'abc' } }), 404, 'session_not_found')
  isProblem(t, await call(h, { method: 'POST', url: `/v1/sessions/${'x'.repeat(100)}/code`, headers: auth, payload: { code: 'abc' } }), 404, 'session_not_found')
  t.equal(h.sim.calls.length, 0, 'no bad request reached Meta')
  const after = (await call(h, { url: `/v1/sessions/${s.id}`, headers: auth })).json()
  t.equal(after.status, 'pending', 'the session is untouched')

  // a code Meta rejects still decides the session: it fails with code_exchange_failed, without the code in the answer
  const res = await postCode({ code: 'AQ-not-a-code-Meta-issued' })
  t.equal(res.statusCode, 200)
  t.equal(res.json().status, 'failed')
  t.equal(res.json().error.code, 'code_exchange_failed')
  t.notMatch(res.body, 'AQ-not-a-code-Meta-issued', 'the code is not echoed')
})

t.test('POST /v1/sessions/{id}/code: the JS SDK path end to end', async (t) => {
  const h = await build(t)
  const s = await createSession(h, { flow: 'business_portfolio', external_id: 'tenant-7', metadata: { plan: 'pro' } })
  const code = h.sim.issueCode(GRANTS.business_portfolio)
  const res = await call(h, { method: 'POST', url: `/v1/sessions/${s.id}/code`, headers: auth, payload: { code } })
  t.equal(res.statusCode, 200)
  t.match(String(res.headers['content-type']), /^application\/json/)
  const view = res.json()
  t.same(Object.keys(view).sort(), SESSION_KEYS)
  t.equal(view.id, s.id)
  t.equal(view.status, 'completed')
  t.ok(Date.parse(view.completed_at) >= Date.parse(view.created_at), 'completed_at set')
  t.equal(view.error, null)
  t.same(view.result, {
    business_id: '1234567890',
    system_user_id: '61550000000001',
    user_id: null,
    page_ids: ['99', '1122334455'],
    ad_account_ids: ['act_5566778899'],
    billing_ad_account_id: 'act_5566778899',
    token_type: 'system_user',
    token_expires_at: null,
    scopes: ['ads_management', 'pages_messaging', 'paid_marketing_messages', 'public_profile']
  })
  t.match(view.delivery, { event_id: /^evt_[0-9a-f]{32}$/, status: /^(pending|delivered)$/ })
  t.notMatch(res.body, code, 'the code is not in the answer')
  t.notMatch(res.body, /EAA[A-Za-z0-9]{20,}/, 'no token-looking value in the answer')

  t.equal(h.sim.callsTo('exchange').length, 1)
  t.equal(h.sim.callsTo('exchange')[0]!.query.redirect_uri, undefined, 'the exchange carries no redirect_uri')

  const [event] = await h.receiver.waitFor((e) => e.length >= 1)
  t.equal(h.receiver.rejected.length, 0, 'the webhook verifies')
  t.equal(event!.id, view.delivery.event_id)
  t.equal(event!.type, 'onboarding.completed')
  t.equal(event!.body.data.session_id, s.id)
  t.equal(event!.body.data.external_id, 'tenant-7')
  t.same(event!.body.data.metadata, { plan: 'pro' })
  const token = event!.body.data.access_token as string
  t.match(token, /^EAA/)
  t.notMatch(res.body, token, 'the token is not in the /code answer')
  const read = await call(h, { url: `/v1/sessions/${s.id}`, headers: auth })
  t.notMatch(read.body, token, 'nor in the session object')
  t.equal(read.json().status, 'completed')

  // a second code for the same session: the session is no longer pending
  const again = await call(h, { method: 'POST', url: `/v1/sessions/${s.id}/code`, headers: auth, payload: { code: h.sim.issueCode(GRANTS.business_portfolio) } })
  isProblem(t, again, 409, 'session_not_pending')
  t.equal(h.sim.callsTo('exchange').length, 1, 'Meta was not called again')
  await new Promise((resolve) => setTimeout(resolve, 50))
  t.equal(h.receiver.events.filter((e) => e.type.startsWith('onboarding.')).length, 1, 'one event per session')
})

t.test('authentication', async (t) => {
  const h = await build(t)
  const s = await createSession(h, { flow: 'business_portfolio' })
  const wrongLast = API_KEY.slice(0, -1) + (API_KEY.endsWith('v') ? 'w' : 'v')
  const refused: Array<[string, Record<string, string>]> = [
    ['no Authorization header', {}],
    ['Basic', { authorization: 'Basic ' + Buffer.from(`user:${API_KEY}`).toString('base64') }],
    ['the key without a scheme', { authorization: API_KEY }],
    ['Bearer with a wrong key', { authorization: 'Bearer pk_test_wrongwrongwrongwrongwrongwrongwrong' }],
    ['a key differing in its last character', { authorization: `Bearer ${wrongLast}` }],
    ['a prefix of the key', { authorization: `Bearer ${API_KEY.slice(0, -1)}` }],
    ['the key with a suffix', { authorization: `Bearer ${API_KEY}x` }],
    ['Bearer without a key', { authorization: 'Bearer ' }],
    ['Bearer with two tokens', { authorization: `Bearer ${API_KEY} ${API_KEY}` }]
  ]
  for (const [name, headers] of refused) {
    await t.test(name, async (t) => {
      for (const req of [
        { method: 'GET' as const, url: `/v1/sessions/${s.id}` },
        { method: 'POST' as const, url: '/v1/sessions', payload: { flow: 'business_portfolio' } },
        { method: 'POST' as const, url: `/v1/sessions/${s.id}/code`, payload: { code: 'abc' } }
      ]) {
        const res = await call(h, { ...req, headers })
        isProblem(t, res, 401, 'unauthorized')
        t.match(String(res.headers['www-authenticate']), /^Bearer\b/, 'WWW-Authenticate: Bearer')
        t.notMatch(res.body, API_KEY)
        t.notMatch(JSON.stringify(res.headers), API_KEY)
      }
    })
  }
  t.equal(h.sim.calls.length, 0, 'nothing unauthenticated reached Meta')

  // RFC 7235: the auth scheme is case-insensitive
  for (const scheme of ['bearer', 'BEARER', 'Bearer']) {
    const res = await call(h, { url: `/v1/sessions/${s.id}`, headers: { authorization: `${scheme} ${API_KEY}` } })
    t.equal(res.statusCode, 200, `scheme ${scheme} with the right key is accepted`)
  }
})

t.test('authentication: every key of PARTNER_API_KEYS is accepted', async (t) => {
  const k1 = 'k1_' + 'a'.repeat(40)
  const k2 = 'k2_' + 'b'.repeat(40)
  const h = await build(t, { env: { PARTNER_API_KEYS: `${k1},${k2}` } })
  const r1 = await post(h, { flow: 'business_portfolio' }, { authorization: `Bearer ${k1}` })
  t.equal(r1.statusCode, 201, 'the first key')
  const r2 = await call(h, { url: `/v1/sessions/${r1.json().id}`, headers: { authorization: `Bearer ${k2}` } })
  t.equal(r2.statusCode, 200, 'the second key')
  const both = await call(h, { url: `/v1/sessions/${r1.json().id}`, headers: { authorization: `Bearer ${k1},${k2}` } })
  isProblem(t, both, 401, 'unauthorized')
  isProblem(t, await call(h, { url: `/v1/sessions/${r1.json().id}`, headers: auth }), 401, 'unauthorized')
  for (const res of [r1, r2, both]) {
    t.notMatch(res.body, k1)
    t.notMatch(res.body, k2)
  }
})

t.test('unknown routes under /v1 are 404 not_found problem+json', async (t) => {
  const h = await build(t)
  isProblem(t, await call(h, { url: '/v1/nope', headers: auth }), 404, 'not_found')
  isProblem(t, await call(h, { url: '/v1/sessions/ses_x/other', headers: auth }), 404, 'not_found')
  isProblem(t, await call(h, { method: 'DELETE', url: `/v1/sessions/${UNKNOWN_ID}`, headers: auth }), 404, 'not_found')
  isProblem(t, await call(h, { url: '/v1/nope' }), 404, 'not_found')
  const healthz = await call(h, { url: '/healthz' })
  t.equal(healthz.headers['x-content-type-options'], 'nosniff', 'every response, not only /v1')
})

t.test('no response of this file carried an API key, and every one carried nosniff', async (t) => {
  t.ok(seen.length > 100, `${seen.length} responses checked`)
  for (const res of seen) {
    const text = res.body + JSON.stringify(res.headers)
    if (text.includes(API_KEY)) t.fail(`a response carried the API key: ${res.statusCode} ${res.body.slice(0, 200)}`)
    if (res.headers['x-content-type-options'] !== 'nosniff') t.fail(`a ${res.statusCode} response without nosniff`)
    if (res.statusCode >= 500) t.fail(`a 5xx: ${res.statusCode} ${res.body.slice(0, 200)}`)
  }
})
