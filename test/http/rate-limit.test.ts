// Rate limits. The browser routes (/login and /oauth/callback together) count, per client IP and minute, only
// the requests they REFUSE: past the limit, what would have been refused is a 429 page, while a login that
// succeeds never counts and is never refused. The API counts every request per key, before authentication.
// Both count in Redis, so every instance counts together.
import t from 'tap'
import { API_KEY, auth, Browser, build, createSession, GRANTS, onboard, type Harness } from '../helper.js'

const UNKNOWN = '/login/ses_00000000000000000000000000000000'
const OFFICE = '198.51.100.7'

/** a login and its callback through the simulated dialog, from `ip` */
async function goodLogin (h: Harness, ip: string) {
  const session = await createSession(h, { flow: 'business_portfolio' })
  const browser = new Browser(h.app, ip)
  const login = await browser.get(session.login_url)
  const callback = await browser.get(h.sim.approve(login.headers.location as string, GRANTS.business_portfolio))
  return { login: login.statusCode, callback: callback.statusCode }
}

const badState = (h: Harness, ip: string) =>
  h.app.inject({ url: `/oauth/callback?code=AQx&state=${'B'.repeat(43)}`, remoteAddress: ip })

t.test('refusals share one per-IP budget across both routes; the 429 is an HTML page with Retry-After', async (t) => {
  const h = await build(t, { env: { RATE_LIMIT_BROWSER_PER_MINUTE: '3' } })
  const browser = new Browser(h.app)
  t.equal((await browser.get(UNKNOWN)).statusCode, 404)
  t.equal((await browser.get('/oauth/callback?code=x')).statusCode, 400)
  t.equal((await browser.get('/oauth/callback?state=a&state=b')).statusCode, 400, 'a malformed query counts too')
  const limited = await browser.get(UNKNOWN)
  t.equal(limited.statusCode, 429)
  t.match(limited.headers['content-type'], /^text\/html/)
  t.match(limited.headers['content-security-policy'], /frame-ancestors 'none'/)
  const retryAfter = Number(limited.headers['retry-after'])
  t.ok(retryAfter > 0 && retryAfter <= 60, `Retry-After ${retryAfter}`)
  t.match(limited.body, /Too many/)
  // another client is not affected, and neither is the API
  t.equal((await h.app.inject({ url: UNKNOWN, remoteAddress: '10.0.0.2' })).statusCode, 404)
  t.equal((await h.app.inject({ method: 'POST', url: '/v1/sessions', headers: auth, payload: { flow: 'business_portfolio' } })).statusCode, 201)
  const keys = await h.redis.keys(`${h.prefix}rl:browser:*`)
  t.same(keys.sort(), [`${h.prefix}rl:browser:10.0.0.2`, `${h.prefix}rl:browser:127.0.0.1`], 'one counter per IP, in Redis')
  t.equal(await h.redis.get(`${h.prefix}rl:browser:127.0.0.1`), '4', 'the refusal answered 429 counted too')
  const ttl = await h.redis.pttl(`${h.prefix}rl:browser:127.0.0.1`)
  t.ok(ttl > 0 && ttl <= 60_000, 'a one-minute window')
})

t.test('eight good logins from one IP under a limit of five all succeed, and none is counted', async (t) => {
  const h = await build(t, { env: { RATE_LIMIT_BROWSER_PER_MINUTE: '5' } })
  for (let i = 0; i < 8; i++) t.same(await goodLogin(h, OFFICE), { login: 302, callback: 200 }, `login ${i + 1}`)
  t.same(await h.redis.keys(`${h.prefix}rl:browser:*`), [], 'nothing counted')
  t.equal(h.sim.callsTo('exchange').length, 8)
})

t.test('an IP over the limit: what would be refused is a 429, a good login from it still completes', async (t) => {
  const h = await build(t, { env: { RATE_LIMIT_BROWSER_PER_MINUTE: '5' } })
  // the admin started a login before the guessing began, from the same office address
  const session = await createSession(h, { flow: 'business_portfolio' })
  const admin = new Browser(h.app, OFFICE)
  const login = await admin.get(session.login_url)
  const statuses: number[] = []
  for (let i = 0; i < 8; i++) statuses.push((await badState(h, OFFICE)).statusCode)
  t.same(statuses, [400, 400, 400, 400, 400, 429, 429, 429])
  // the admin's callback arrives while the address is over the limit: it is not thrown away
  t.equal((await admin.get(h.sim.approve(login.headers.location as string, GRANTS.business_portfolio))).statusCode, 200)
  t.same(await goodLogin(h, OFFICE), { login: 302, callback: 200 }, 'nor is a whole new login')
  // the checks still run for what is refused: a replay of the used state is a 429 now, and calls nobody
  t.equal((await admin.get(h.sim.approve(login.headers.location as string, GRANTS.business_portfolio))).statusCode, 429)
  t.equal((await admin.get(UNKNOWN)).statusCode, 429, 'an unknown session too')
  t.equal((await admin.get(`/login/${session.id}`)).statusCode, 429, 'and a finished one')
  t.equal(h.sim.callsTo('exchange').length, 2, 'Meta was called for the two good logins only')
  await h.receiver.waitFor((e) => e.length >= 2)
  t.ok(h.receiver.events.every((e) => e.type === 'onboarding.completed'), 'both completed')
})

t.test('the counters are shared by two instances on one Redis', async (t) => {
  const one = await build(t, { env: { RATE_LIMIT_BROWSER_PER_MINUTE: '5' } })
  const two = await build(t, { env: { RATE_LIMIT_BROWSER_PER_MINUTE: '5' }, deps: { redis: one.redis, redisKeyPrefix: one.prefix } })
  const statuses: number[] = []
  for (let i = 0; i < 3; i++) statuses.push((await badState(one, OFFICE)).statusCode)
  for (let i = 0; i < 2; i++) statuses.push((await badState(two, OFFICE)).statusCode)
  statuses.push((await badState(one, OFFICE)).statusCode, (await badState(two, OFFICE)).statusCode)
  t.same(statuses, [400, 400, 400, 400, 400, 429, 429], 'five refusals across both, then either says 429')
  t.equal(await one.redis.get(`${one.prefix}rl:browser:${OFFICE}`), '7')
})

t.test('the API is limited per key, before authentication; the key is never stored', async (t) => {
  const h = await build(t, { env: { RATE_LIMIT_API_PER_MINUTE: '2' } })
  const create = (headers: Record<string, string>) => h.app.inject({ method: 'POST', url: '/v1/sessions', headers, payload: { flow: 'business_portfolio' } })
  t.equal((await create(auth)).statusCode, 201)
  t.equal((await create(auth)).statusCode, 201)
  const limited = await create(auth)
  t.equal(limited.statusCode, 429)
  t.match(limited.headers['content-type'], /^application\/problem\+json/)
  t.equal(limited.json().code, 'rate_limited')
  t.ok(Number(limited.headers['retry-after']) > 0)
  // guessing keys is limited too
  const wrong = { authorization: 'Bearer guess-guess-guess-guess-guess-guess' }
  t.equal((await create(wrong)).statusCode, 401)
  t.equal((await create(wrong)).statusCode, 401)
  t.equal((await create(wrong)).statusCode, 429)
  for (const key of await h.redis.keys(`${h.prefix}*`)) t.notOk(key.includes(API_KEY), 'no key name holds the API key')
})

t.test('0 turns a limit off', async (t) => {
  const h = await build(t, { env: { RATE_LIMIT_BROWSER_PER_MINUTE: '0' } })
  for (let i = 0; i < 130; i++) {
    const res = await h.app.inject('/oauth/callback')
    if (res.statusCode !== 400) return t.fail(`request ${i} answered ${res.statusCode}`)
  }
  t.same(await h.redis.keys(`${h.prefix}rl:browser:*`), [], '130 refusals, none counted nor limited')
  t.equal((await onboard(h, 'asset_based', GRANTS.asset_based)).callback.statusCode, 200)
})
