// What Meta may send back besides a code: `error_code` and `error_message` alone (the app's set-up, e.g. 1349126
// "App Not Setup"), or nothing but the state. After the usual checks of state, cookie and session, each fails
// the session at once with `login_error` and a failure webhook, so the partner does not wait for its expiry.
import t, { type Test } from 'tap'
import { auth, Browser, build, createSession, GRANTS, type Harness } from '../helper.js'

const APP_NOT_SETUP = 'App Not Setup: This app is still in development mode, and you don\'t have access to it. Switch to a registered test user or ask an app admin for permissions.'

/** a login to a new session; `back(query)` is the redirect Meta would make with that query and the state */
async function startLogin (h: Harness, body: Record<string, unknown> = {}) {
  const session = await createSession(h, { flow: 'business_portfolio', ...body })
  const browser = new Browser(h.app)
  const login = await browser.get(session.login_url)
  const dialog = login.headers.location as string
  const state = new URL(dialog).searchParams.get('state')!
  const back = (query: Record<string, string>) => `/oauth/callback?${new URLSearchParams({ ...query, state })}`
  return { session, browser, dialog, state, back }
}

async function failedWith (t: Test, h: Harness, sessionId: string, meta: Record<string, string>) {
  const [event] = await h.receiver.waitFor((e) => e.length >= 1)
  t.equal(event!.type, 'onboarding.failed')
  t.equal(event!.body.data.session_id, sessionId)
  t.equal(event!.body.data.error.code, 'login_error')
  t.same(event!.body.data.error.meta, meta, 'the webhook carries what Meta sent')
  const view = (await h.app.inject({ url: `/v1/sessions/${sessionId}`, headers: auth })).json()
  t.equal(view.status, 'failed')
  t.same(view.error.meta, meta, 'and so does the session')
  t.equal(h.sim.callsTo('exchange').length, 0, 'Meta was not called')
}

t.test('error_code and error_message without error: login_error, a failure webhook, 303 to return_url', async (t) => {
  const h = await build(t)
  const { session, browser, back } = await startLogin(h, { return_url: 'https://app.example.com/back?tenant=42' })
  const res = await browser.get(back({ error_code: '1349126', error_message: APP_NOT_SETUP }))
  t.equal(res.statusCode, 303)
  t.same(Object.fromEntries(new URL(res.headers.location as string).searchParams),
    { tenant: '42', session_id: session.id, status: 'failed', error: 'login_error' })
  await failedWith(t, h, session.id, { error_code: '1349126', error_message: APP_NOT_SETUP })
})

t.test('without a return_url, the page shows Meta\'s message to the admin, escaped; a long message is cut to 512 characters', async (t) => {
  const h = await build(t)
  const { session, browser, back } = await startLogin(h)
  const message = '<script>alert(1)</script> App Not Setup: ' + '\u{1F600}'.repeat(600)
  const res = await browser.get(back({ error_code: '901', error_message: message }))
  t.equal(res.statusCode, 200)
  t.match(res.headers['content-type'], /^text\/html/)
  t.match(res.body, /did not complete/)
  t.match(res.body, 'Meta said: &lt;script&gt;alert(1)&lt;/script&gt; App Not Setup: ')
  t.notMatch(res.body, /<script>/, 'nothing Meta sent is reflected unescaped')
  t.match(res.body, /Reference: login_error/)
  const cut = [...message].slice(0, 512).join('')
  await failedWith(t, h, session.id, { error_code: '901', error_message: cut })
  t.equal([...cut].length, 512, 'cut by characters, an emoji never split')
})

t.test('error_code without any message is kept as it came', async (t) => {
  const h = await build(t)
  const { session, browser, back } = await startLogin(h)
  t.equal((await browser.get(back({ error_code: '1349126' }))).statusCode, 200)
  await failedWith(t, h, session.id, { error_code: '1349126' })
})

t.test('precedence: error, then error_code, then code; a code beside either is never exchanged', async (t) => {
  const h = await build(t)
  const code = new URL(h.sim.approve((await startLogin(h)).dialog, GRANTS.business_portfolio)).searchParams.get('code')!
  const all = await startLogin(h)
  t.equal((await all.browser.get(all.back({ code, error: 'server_error', error_reason: 'r', error_code: '2', error_message: 'ignored' }))).statusCode, 200)
  await failedWith(t, h, all.session.id, { error: 'server_error', error_reason: 'r', error_code: '2' })
  h.receiver.events.length = 0
  const codeAndErrorCode = await startLogin(h)
  t.equal((await codeAndErrorCode.browser.get(codeAndErrorCode.back({ code, error_code: '1349126', error_message: 'App Not Setup' }))).statusCode, 200)
  await failedWith(t, h, codeAndErrorCode.session.id, { error_code: '1349126', error_message: 'App Not Setup' })
})

t.test('a redirect with the state only: login_error no_code, a failure webhook, and the state is used up', async (t) => {
  const h = await build(t)
  const { session, browser, back, dialog } = await startLogin(h)
  const res = await browser.get(back({}))
  t.equal(res.statusCode, 200)
  t.match(res.body, /Reference: login_error/)
  t.notMatch(res.body, /Meta said/, 'nothing of Meta\'s to show')
  await failedWith(t, h, session.id, { error: 'no_code' })
  // an empty code is no code either; and the state cannot be used again, not even with a real code
  const replay = await browser.get(h.sim.approve(dialog, GRANTS.business_portfolio))
  t.equal(replay.statusCode, 400)
  const empty = await startLogin(h)
  h.receiver.events.length = 0
  t.equal((await empty.browser.get(empty.back({ code: '', error: '', error_code: '' }))).statusCode, 200)
  await failedWith(t, h, empty.session.id, { error: 'no_code' })
})

t.test('without a usable state: a 400 page, no webhook, and the session stays pending', async (t) => {
  const h = await build(t)
  const { session, browser, back } = await startLogin(h)
  const stranger = new Browser(h.app)
  const cases: Array<[string, Browser, string]> = [
    ['no state', browser, '/oauth/callback?error_code=1349126&error_message=App+Not+Setup'],
    ['nothing at all', browser, '/oauth/callback'],
    ['a forged state', browser, `/oauth/callback?error_code=1&state=${'B'.repeat(43)}`],
    ['another browser', stranger, back({ error_code: '1349126' })],
    ['another browser, empty', stranger, back({})],
    ['an oversized message', browser, back({ error_code: '1', error_message: 'x'.repeat(4097) })],
    ['an oversized error_code', browser, back({ error_code: '1'.repeat(33) })]
  ]
  for (const [name, who, url] of cases) {
    const res = await who.get(url)
    t.equal(res.statusCode, 400, name)
    t.match(res.headers['content-type'], /^text\/html/)
  }
  await new Promise((resolve) => setTimeout(resolve, 100))
  t.equal(h.receiver.events.length, 0, 'no webhook')
  t.equal((await h.app.inject({ url: `/v1/sessions/${session.id}`, headers: auth })).json().status, 'pending')
  // none of them burnt the state: the admin's own browser still completes
  t.equal((await browser.get(back({ error_code: '1349126' }))).statusCode, 200)
  await failedWith(t, h, session.id, { error_code: '1349126' })
})

t.test('the simulated dialog\'s App Not Setup and empty redirects, and a code that died before the callback', async (t) => {
  const h = await build(t, { sim: { codeLifetimeMs: 50 } })
  const notSetup = await startLogin(h)
  t.equal((await notSetup.browser.get(h.sim.misanswer(notSetup.dialog, 'app_not_setup'))).statusCode, 200)
  await failedWith(t, h, notSetup.session.id, { error_code: '1349126', error_message: 'App Not Setup: The developers of this app have not set up this app properly for Facebook Login.' })
  h.receiver.events.length = 0
  const empty = await startLogin(h)
  t.equal((await empty.browser.get(h.sim.misanswer(empty.dialog, 'no_code'))).statusCode, 200)
  await failedWith(t, h, empty.session.id, { error: 'no_code' })
  // Meta's codes are short-lived: one exchanged after its life is refused, and the session fails for it
  h.receiver.events.length = 0
  const slow = await startLogin(h)
  const approved = h.sim.approve(slow.dialog, GRANTS.business_portfolio)
  await new Promise((resolve) => setTimeout(resolve, 100))
  t.equal((await slow.browser.get(approved)).statusCode, 200)
  const [event] = await h.receiver.waitFor((e) => e.length >= 1)
  t.equal(event!.body.data.error.code, 'code_exchange_failed')
  t.match(event!.body.data.error.meta, { code: 100, error_subcode: 36007 })
})
