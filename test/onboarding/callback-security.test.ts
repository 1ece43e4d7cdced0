// The callback refuses everything that is not the browser's own, unused state: no Meta call, no webhook.
import t, { type Test } from 'tap'
import { auth, Browser, build, createSession, GRANTS, onboard, type Harness } from '../helper.js'

async function noSideEffects (t: Test, h: Harness, sessionId: string) {
  t.equal(h.sim.callsTo('exchange').length, 0, 'Meta was not called')
  await new Promise((resolve) => setTimeout(resolve, 100))
  t.equal(h.receiver.events.length, 0, 'no webhook')
  const view = (await h.app.inject({ url: `/v1/sessions/${sessionId}`, headers: auth })).json()
  t.equal(view.status, 'pending', 'the session is untouched')
}

function isHtmlError (t: Test, res: { statusCode: number; headers: Record<string, unknown>; body: string }, status: number) {
  t.equal(res.statusCode, status)
  t.match(res.headers['content-type'], /^text\/html/)
  t.match(res.headers['content-security-policy'], /frame-ancestors 'none'/)
  t.notMatch(res.headers['content-security-policy'], /script-src/)
  t.equal(res.headers['cache-control'], 'no-store')
  t.equal(res.headers['x-content-type-options'], 'nosniff')
  t.notMatch(res.body, /at .*\.ts:\d+/, 'no stack trace')
}

async function startLogin (h: Harness, flow = 'business_portfolio' as const) {
  const session = await createSession(h, { flow })
  const browser = new Browser(h.app)
  const login = await browser.get(session.login_url)
  const dialog = login.headers.location as string
  return { session, browser, login, dialog, approved: h.sim.approve(dialog, GRANTS[flow]) }
}

t.test('login sets a signed HttpOnly SameSite=Lax Secure cookie, no-store and no-referrer', async (t) => {
  const h = await build(t)
  const { login, browser } = await startLogin(h)
  t.equal(login.statusCode, 302)
  t.equal(login.headers['cache-control'], 'no-store')
  t.equal(login.headers['referrer-policy'], 'no-referrer')
  const cookie = login.cookies[0]!
  t.equal(cookie.name, '__Host-mo_nonce')
  t.equal(cookie.httpOnly, true)
  t.equal(cookie.secure, true)
  t.equal(cookie.sameSite, 'Lax')
  t.equal(cookie.path, '/')
  t.equal(browser.cookies.size, 1)
  // the state is stored under its hash only
  const state = new URL(login.headers.location as string).searchParams.get('state')!
  const keys = await h.redis.keys(`${h.prefix}*`)
  t.notOk(keys.some((k) => k.includes(state)), 'no key holds the state in clear')
  for (const key of keys) t.notOk((await h.redis.type(key) === 'string' ? await h.redis.get(key) : '')!.includes(state))
  const stateKey = keys.find((k) => k.includes(':state:'))!
  const ttl = await h.redis.ttl(stateKey)
  t.ok(ttl > 3590 && ttl <= 3600, `the state lives as long as the session (default 3600 s): ${ttl} s`)
})

t.test('one nonce per browser: two logins, both states usable from that browser, the second state of a finished session is refused', async (t) => {
  const h = await build(t)
  const session = await createSession(h, { flow: 'business_portfolio' })
  const browser = new Browser(h.app)
  const first = await browser.get(session.login_url)
  const nonce = browser.cookies.get('__Host-mo_nonce')
  const second = await browser.get(session.login_url)
  t.equal(browser.cookies.get('__Host-mo_nonce'), nonce, 'the same nonce is kept')
  const stateOf = (r: typeof first) => new URL(r.headers.location as string).searchParams.get('state')
  t.not(stateOf(first), stateOf(second), 'each visit issues a new state')
  // the older state still works
  const done = await browser.get(h.sim.approve(first.headers.location as string, GRANTS.business_portfolio))
  t.equal(done.statusCode, 200)
  const late = await browser.get(h.sim.approve(second.headers.location as string, GRANTS.business_portfolio))
  isHtmlError(t, late, 409)
  t.equal(h.sim.callsTo('exchange').length, 1, 'only one exchange')
  await h.receiver.waitFor((e) => e.length >= 1)
  await new Promise((resolve) => setTimeout(resolve, 100))
  t.equal(h.receiver.events.length, 1, 'one event per session')
})

t.test('the admin cancels: user_denied, failure webhook, 303 with error', async (t) => {
  const h = await build(t)
  const { session, callback } = await onboard(h, 'business_portfolio', 'deny', { return_url: 'https://app.example.com/back' })
  t.equal(callback.statusCode, 303)
  const back = new URL(callback.headers.location as string)
  t.same(Object.fromEntries(back.searchParams), { session_id: session.id, status: 'failed', error: 'user_denied' })
  const [event] = await h.receiver.waitFor((e) => e.length >= 1)
  t.equal(event!.type, 'onboarding.failed')
  t.same(event!.body.data.error, {
    code: 'user_denied',
    message: event!.body.data.error.message,
    meta: { error: 'access_denied', error_reason: 'user_denied', error_code: '200' }
  })
  t.notOk('access_token' in event!.body.data)
  t.equal(h.sim.callsTo('exchange').length, 0)
  const view = (await h.app.inject({ url: `/v1/sessions/${session.id}`, headers: auth })).json()
  t.equal(view.status, 'failed')
  t.equal(view.error.code, 'user_denied')
  t.ok(view.completed_at)
})

t.test('another error from Meta is login_error; with both code and error, error wins', async (t) => {
  const h = await build(t)
  const { session, browser, approved } = await startLogin(h)
  const res = await browser.get(`${approved}&error=server_error&error_reason=whatever&error_description=Oops`)
  t.equal(res.statusCode, 200)
  const [event] = await h.receiver.waitFor((e) => e.length >= 1)
  t.equal(event!.body.data.error.code, 'login_error')
  t.same(event!.body.data.error.meta, { error: 'server_error', error_reason: 'whatever' })
  t.equal(h.sim.callsTo('exchange').length, 0)
  t.equal(event!.body.data.session_id, session.id)
})

t.test('a replayed callback finds its state used', async (t) => {
  const h = await build(t)
  const { browser, approved } = await startLogin(h)
  t.equal((await browser.get(approved)).statusCode, 200)
  const replay = await browser.get(approved)
  isHtmlError(t, replay, 400)
  t.match(replay.body, /expired or was already used/)
  t.equal(h.sim.callsTo('exchange').length, 1)
})

t.test('a missing or foreign cookie is refused without burning the state', async (t) => {
  const h = await build(t)
  const { session, browser, approved } = await startLogin(h)
  const stranger = new Browser(h.app)
  isHtmlError(t, await stranger.get(approved), 400) // no cookie at all
  await stranger.get(session.login_url) // a cookie of its own, from a login of its own
  const foreign = await stranger.get(approved)
  isHtmlError(t, foreign, 400)
  t.match(foreign.body, /another browser/)
  const forged = new Browser(h.app)
  forged.cookies.set('__Host-mo_nonce', browser.cookies.get('__Host-mo_nonce')!.replace(/\.[^.]+$/, '.forgedsignature'))
  isHtmlError(t, await forged.get(approved), 400)
  const unsigned = new Browser(h.app)
  unsigned.cookies.set('__Host-mo_nonce', 'A'.repeat(43))
  isHtmlError(t, await unsigned.get(approved), 400)
  await noSideEffects(t, h, session.id)
  // the right browser still completes
  t.equal((await browser.get(approved)).statusCode, 200)
})

t.test('forged, malformed and oversized states', async (t) => {
  const h = await build(t)
  const { session, browser, approved } = await startLogin(h)
  const code = new URL(approved).searchParams.get('code')!
  const cases: Record<string, string> = {
    forged: 'B'.repeat(43),
    'too short': 'abc',
    'bad characters': '<script>alert(1)</script>' + 'x'.repeat(20),
    oversized: 'A'.repeat(5000),
    empty: ''
  }
  for (const [name, state] of Object.entries(cases)) {
    const res = await browser.get(`/oauth/callback?code=${code}&state=${encodeURIComponent(state)}`)
    isHtmlError(t, res, 400)
    t.notMatch(res.body, /<script>/, `${name}: nothing reflected unescaped`)
  }
  isHtmlError(t, await browser.get(`/oauth/callback?code=${code}`), 400) // no state
  isHtmlError(t, await browser.get(`/oauth/callback?code=${code}&state=a&state=b`), 400) // repeated
  await noSideEffects(t, h, session.id)
})

t.test('login for unknown, malformed, finished and expired sessions', async (t) => {
  let now = Date.now()
  const h = await build(t, { env: { SESSION_TTL_SECONDS: '60' }, deps: { now: () => now } })
  const browser = new Browser(h.app)
  isHtmlError(t, await browser.get('/login/ses_00000000000000000000000000000000'), 404)
  isHtmlError(t, await browser.get('/login/nope'), 404)
  isHtmlError(t, await browser.get(`/login/${'x'.repeat(300)}`), 404)
  const { session } = await onboard(h, 'business_portfolio', GRANTS.business_portfolio)
  isHtmlError(t, await browser.get(`/login/${session.id}`), 409)
  const pending = await createSession(h, { flow: 'business_portfolio' })
  const login = await browser.get(pending.login_url)
  now += 61_000
  isHtmlError(t, await browser.get(pending.login_url), 409)
  const late = await browser.get(h.sim.approve(login.headers.location as string, GRANTS.business_portfolio))
  isHtmlError(t, late, 409)
  t.equal(h.sim.callsTo('exchange').length, 1, 'no exchange for the expired session')
})

t.test('a callback racing the /code route: one wins, the other changes nothing', async (t) => {
  const h = await build(t)
  const { session, browser, approved } = await startLogin(h)
  h.sim.failNext('exchange', { delayMs: 200 })
  const code = h.sim.issueCode(GRANTS.business_portfolio)
  const [viaCallback, viaCode] = await Promise.all([
    browser.get(approved),
    new Promise((resolve) => setTimeout(resolve, 50)).then(() =>
      h.app.inject({ method: 'POST', url: `/v1/sessions/${session.id}/code`, headers: auth, payload: { code } }))
  ])
  t.equal(viaCallback.statusCode, 200)
  t.equal(viaCode.statusCode, 409)
  t.equal(viaCode.json().code, 'session_not_pending')
  await h.receiver.waitFor((e) => e.length >= 1)
  t.equal(h.sim.callsTo('exchange').length, 1)
})
