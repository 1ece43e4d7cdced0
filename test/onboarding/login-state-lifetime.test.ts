// A login state lives as long as its session: the admin may spend many minutes in Meta's dialog creating a
// portfolio, Page or ad account, and the state is single-use and bound to the browser, so a short life would
// only throw such logins away.
import t from 'tap'
import { newSecretToken, sha256 } from '../../src/lib/ids.js'
import { auth, Browser, build, createSession, GRANTS, type Harness } from '../helper.js'

/** a login to a new session, and the TTL in Redis of the state it was given */
async function loginState (h: Harness, session: Record<string, any>) {
  const browser = new Browser(h.app)
  const login = await browser.get(session.login_url)
  if (login.statusCode !== 302) throw new Error(`login answered ${login.statusCode}`)
  const state = new URL(login.headers.location as string).searchParams.get('state')!
  return { browser, login, ttl: await h.redis.ttl(`${h.prefix}state:{${session.id}}:${sha256(state)}`) }
}

t.test('the state key\'s TTL in Redis is the session\'s remaining lifetime, not ten minutes', async (t) => {
  let now = Date.now()
  const h = await build(t, { env: { SESSION_TTL_SECONDS: '86400' }, deps: { now: () => now } })
  const session = await createSession(h, { flow: 'business_portfolio' })
  const fresh = await loginState(h, session)
  t.ok(fresh.ttl > 86_390 && fresh.ttl <= 86_400, `a fresh session's state lives a day: ${fresh.ttl} s`)

  // five hours later, the admin opens the link again: the new state lives what is left of the session
  now += 5 * 3600_000
  const later = await loginState(h, session)
  const left = 86_400 - 5 * 3600
  t.ok(later.ttl > left - 10 && later.ttl <= left, `${later.ttl} s, the session has ${left} s left`)
  t.ok(later.ttl > 600, 'far beyond the former ten minutes')
  // the older state is still usable from that browser
  t.equal((await fresh.browser.get(h.sim.approve(fresh.login.headers.location as string, GRANTS.business_portfolio))).statusCode, 200)
})

t.test('a session in its last moments still gets a state, of at least one second', async (t) => {
  let now = Date.now()
  const h = await build(t, { env: { SESSION_TTL_SECONDS: '60' }, deps: { now: () => now } })
  const session = await createSession(h, { flow: 'asset_based' })
  now += 59_700
  const { ttl } = await loginState(h, session)
  t.equal(ttl, 1)
})

t.test('a state issued before states named their session (kept under its hash alone) still completes its login, once', async (t) => {
  const h = await build(t)
  const session = await createSession(h, { flow: 'business_portfolio' })
  const { browser, login } = await loginState(h, session)
  const nonceHash = JSON.parse((await h.redis.get((await h.redis.keys(`${h.prefix}state:*`))[0]!))!).nonce_hash
  const legacy = newSecretToken()
  await h.redis.set(`${h.prefix}state:${sha256(legacy)}`, JSON.stringify({ session_id: session.id, nonce_hash: nonceHash }), 'EX', 600)
  const dialog = new URL(login.headers.location as string)
  dialog.searchParams.set('state', legacy)
  const callback = h.sim.approve(dialog.href, GRANTS.business_portfolio)
  const done = await browser.get(callback)
  t.equal(done.statusCode, 200)
  t.equal((await h.app.inject({ url: `/v1/sessions/${session.id}`, headers: auth })).json().status, 'completed')
  t.equal((await browser.get(callback)).statusCode, 400, 'used up')
})

t.test('a session whose metadata nests deeper than Redis\'s Lua reads still gets its state, which completes the login', async (t) => {
  const h = await build(t)
  let deep: unknown = 'bottom'
  for (let i = 0; i < 1100; i++) deep = [deep]
  const session = await createSession(h, { flow: 'business_portfolio', metadata: { deep } })
  const { browser, login, ttl } = await loginState(h, session)
  t.ok(ttl > 3500, `the state lives as long as the session (${ttl} s)`)
  const done = await browser.get(h.sim.approve(login.headers.location as string, GRANTS.business_portfolio))
  t.equal(done.statusCode, 200)
})
