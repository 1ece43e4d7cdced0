// Rate limits: per client IP across /login and /oauth/callback, per API key on /v1, counted in Redis.
import t from 'tap'
import { API_KEY, auth, Browser, build } from '../helper.js'

t.test('browser routes share one per-IP budget; the 429 is an HTML page with Retry-After', async (t) => {
  const h = await build(t, { env: { RATE_LIMIT_BROWSER_PER_MINUTE: '3' } })
  const browser = new Browser(h.app)
  t.equal((await browser.get('/login/ses_00000000000000000000000000000000')).statusCode, 404)
  t.equal((await browser.get('/oauth/callback?code=x')).statusCode, 400)
  t.equal((await browser.get('/oauth/callback?code=y')).statusCode, 400)
  const limited = await browser.get('/login/ses_00000000000000000000000000000000')
  t.equal(limited.statusCode, 429)
  t.match(limited.headers['content-type'], /^text\/html/)
  t.ok(Number(limited.headers['retry-after']) > 0)
  t.match(limited.body, /Too many/)
  // another client is not affected, and neither is the API
  const other = await h.app.inject({ url: '/login/ses_00000000000000000000000000000000', remoteAddress: '10.0.0.2' })
  t.equal(other.statusCode, 404)
  t.equal((await h.app.inject({ method: 'POST', url: '/v1/sessions', headers: auth, payload: { flow: 'business_portfolio' } })).statusCode, 201)
  const keys = await h.redis.keys(`${h.prefix}rl:*`)
  t.ok(keys.length > 0, 'counted in Redis')
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
  t.pass('130 requests, none limited')
})
