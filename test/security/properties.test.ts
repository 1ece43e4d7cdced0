// Property-based tests (fast-check) over what a client controls: query strings, headers, cookies, paths and
// JSON bodies. Whatever arrives: never a 5xx, never a call to Meta without a valid state and its cookie,
// never a webhook for an invalid callback, never a redirect to a host outside the allowlist.
import fc from 'fast-check'
import t from 'tap'
import { auth, Browser, build, createSession, RETURN_ORIGIN, type Harness } from '../helper.js'

const RUNS = Number(process.env.PROPERTY_RUNS ?? 150)
const ALLOWED = new Set([RETURN_ORIGIN, 'http://localhost:4000'])
const env = { RATE_LIMIT_BROWSER_PER_MINUTE: '0', RATE_LIMIT_API_PER_MINUTE: '0', RETURN_URL_ORIGINS: [...ALLOWED].join(',') }

/** characters that break parsers: controls, quotes, encodings, unicode, separators */
const nasty = fc.oneof(
  fc.string({ maxLength: 64 }),
  fc.string({ unit: 'grapheme', maxLength: 32 }),
  fc.constantFrom('', ' ', '%', '%00', '%ZZ', '&', '=', '#', '?', '"', "'", '<script>', '../', '\\u0000', 'null', '[]', '{}', 'A'.repeat(43), 'A'.repeat(5000)),
  fc.base64String({ maxLength: 80 })
)
const callbackKeys = fc.constantFrom('code', 'state', 'error', 'error_reason', 'error_description', 'error_code', 'x', 'state[]', '__proto__', 'constructor')
const query = fc.array(fc.tuple(callbackKeys, nasty), { maxLength: 8 })
  .map((pairs) => pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&'))
const headerValue = fc.string({ maxLength: 200 }).filter((v) => /^[\t\x20-\x7e]*$/.test(v))

function assertSafe (t: Tap, h: Harness, res: { statusCode: number; headers: Record<string, unknown> }, context: string) {
  if (res.statusCode >= 500) t.fail(`${context}: answered ${res.statusCode}`)
  const location = res.headers.location
  if (typeof location === 'string' && res.statusCode >= 300 && res.statusCode < 400) {
    const origin = new URL(location, 'https://onboard.example.com').origin
    if (!ALLOWED.has(origin) && origin !== h.config.meta.dialogUrl) t.fail(`${context}: redirect to ${origin}`)
  }
}
type Tap = { fail: (message: string) => void }

t.test('the callback, whatever its query, cookie and headers: no 5xx, no Meta call, no webhook', async (t) => {
  const h = await build(t, { env })
  // a real pending session with real states, so that some inputs come close to valid ones
  const session = await createSession(h, { flow: 'business_portfolio' })
  const browser = new Browser(h.app)
  const login = await browser.get(session.login_url)
  const realState = new URL(login.headers.location as string).searchParams.get('state')!
  const realCookie = browser.cookieHeader
  const cookie = fc.oneof(fc.constant(undefined), fc.constant(realCookie), headerValue,
    headerValue.map((v) => `__Host-mo_nonce=${v}`), fc.constant(realCookie.replace(/.$/, 'x')))
  await fc.assert(fc.asyncProperty(query, cookie, headerValue, fc.boolean(), async (q, c, ua, withRealState) => {
    // the real state only ever travels with a cookie that is not the real one, or without a code
    const state = withRealState && c !== realCookie ? `&state=${realState}` : ''
    const res = await h.app.inject({ method: 'GET', url: `/oauth/callback?${q}${state}`, headers: { ...(c ? { cookie: c } : {}), 'user-agent': ua } })
    assertSafe(t, h, res, `callback ?${q.slice(0, 80)}`)
    if (res.statusCode < 400 && !(res.statusCode === 200 && /connected|did not complete/.test(res.body))) t.fail(`unexpected ${res.statusCode}`)
  }), { numRuns: RUNS })
  t.equal(h.sim.callsTo('exchange').length, 0, 'Meta was never called')
  await new Promise((resolve) => setTimeout(resolve, 200))
  t.equal(h.receiver.events.length, 0, 'no webhook')
  t.equal((await h.app.inject({ url: `/v1/sessions/${session.id}`, headers: auth })).json().status, 'pending', 'the session is untouched')
})

t.test('the partner API, whatever its bodies and content types: no 5xx; a 201 only for a valid body', async (t) => {
  const h = await build(t, { env })
  const body = fc.oneof(
    fc.jsonValue({ maxDepth: 3 }),
    fc.record({
      flow: fc.oneof(fc.constantFrom('business_portfolio', 'asset_based', 'partner_billing'), nasty, fc.integer()),
      external_id: fc.option(fc.oneof(nasty, fc.integer()), { nil: undefined }),
      return_url: fc.option(fc.oneof(fc.webUrl(), fc.constant(`${RETURN_ORIGIN}/done`), fc.constant('http://localhost:4000/x'), nasty), { nil: undefined }),
      metadata: fc.option(fc.oneof(fc.object({ maxDepth: 2 }), fc.jsonValue({ maxDepth: 2 })), { nil: undefined })
    }, { requiredKeys: [] })
  )
  const contentType = fc.oneof(fc.constant('application/json'), fc.constant('application/json; charset=utf-8'), fc.constantFrom('text/plain', 'application/x-www-form-urlencoded', 'application/xml', ''), headerValue)
  await fc.assert(fc.asyncProperty(body, contentType, fc.boolean(), async (b, ct, raw) => {
    const payload = raw ? JSON.stringify(b)?.slice(0, -1) ?? '' : JSON.stringify(b) ?? 'undefined'
    const res = await h.app.inject({ method: 'POST', url: '/v1/sessions', headers: { ...auth, 'content-type': ct }, payload })
    assertSafe(t, h, res, `POST /v1/sessions ${payload.slice(0, 80)}`)
    if (![201, 400, 413, 415, 422].includes(res.statusCode)) t.fail(`POST /v1/sessions answered ${res.statusCode}`)
    if (res.statusCode === 201) {
      const session = res.json()
      if (session.return_url !== null && !ALLOWED.has(new URL(session.return_url).origin)) t.fail(`accepted return_url ${session.return_url}`)
    } else if (!/^application\/problem\+json/.test(String(res.headers['content-type']))) {
      t.fail(`error without problem+json: ${res.statusCode}`)
    }
  }), { numRuns: RUNS })
  t.pass(`${RUNS} bodies`)
})

t.test('any path, method and headers: no 5xx, and errors are problem+json or an HTML page', async (t) => {
  const h = await build(t, { env })
  const segment = fc.oneof(fc.constantFrom('v1', 'sessions', 'deliveries', 'code', 'redeliver', 'login', 'oauth', 'callback', 'readyz', 'metrics', '..', '%2e%2e', '%00'), nasty.map(encodeURIComponent))
  const path = fc.array(segment, { minLength: 1, maxLength: 5 }).map((s) => `/${s.join('/')}`)
  await fc.assert(fc.asyncProperty(path, fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'), fc.boolean(), headerValue, async (p, method, authorized, extra) => {
    const res = await h.app.inject({ method: method as 'GET', url: p, headers: { ...(authorized ? auth : { authorization: extra }), 'x-request-id': extra } })
    assertSafe(t, h, res, `${method} ${p}`)
    if (res.statusCode >= 400 && !/^(application\/problem\+json|text\/html)/.test(String(res.headers['content-type']))) t.fail(`${method} ${p}: ${res.statusCode} as ${res.headers['content-type']}`)
  }), { numRuns: RUNS })
  t.equal(h.sim.calls.length, 0, 'Meta was never called')
})

t.test('redirects only ever go to Meta\'s dialog or an allowed return_url origin', async (t) => {
  const h = await build(t, { env })
  const candidate = fc.oneof(fc.webUrl({ withQueryParameters: true, withFragments: true }), fc.webUrl().map((u) => u.replace(/^https?:\/\/[^/]+/, RETURN_ORIGIN)),
    fc.constantFrom(`${RETURN_ORIGIN}@evil.example/x`, `${RETURN_ORIGIN}.evil.example/x`, 'https://evil.example/?next=https://app.example.com', '//evil.example', 'https:evil.example', `${RETURN_ORIGIN}:443/x`, 'http://localhost:4000/ok?a=b#f'))
  let completed = 0
  await fc.assert(fc.asyncProperty(candidate, async (returnUrl) => {
    const created = await h.app.inject({ method: 'POST', url: '/v1/sessions', headers: auth, payload: { flow: 'asset_based', return_url: returnUrl } })
    assertSafe(t, h, created, `return_url ${returnUrl}`)
    if (created.statusCode !== 201) return
    const browser = new Browser(h.app)
    const login = await browser.get(created.json().login_url)
    assertSafe(t, h, login, 'login')
    const back = await browser.get(h.sim.deny(login.headers.location as string))
    assertSafe(t, h, back, 'callback')
    if (back.statusCode !== 303) t.fail(`callback answered ${back.statusCode}`)
    completed++
  }), { numRuns: Math.min(RUNS, 60) })
  t.ok(completed > 0, `${completed} onboardings redirected back`)
})
