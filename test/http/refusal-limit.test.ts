// Where the browser routes' refusals are counted: in this process without Redis (its windows on the app's
// clock), not at all while Redis fails (the refusal goes through as it is: fail open), and, for the data
// deletion status page, apart from the login routes and by the same rule.
import t from 'tap'
import { MemoryRateCounter } from '../../src/store/memory/memory-rate-counter.js'
import { RedisRateCounter } from '../../src/store/redis/redis-rate-counter.js'
import { build, GRANTS, onboard, testRedis } from '../helper.js'
import { postForm } from '../meta/callbacks.js'
import { RedisServer } from '../redis-server.js'

const forged = `/oauth/callback?code=AQx&state=${'B'.repeat(43)}`

t.test('without Redis the same rule holds in this process, in one-minute windows', async (t) => {
  let now = Date.now()
  const h = await build(t, { memory: true, env: { RATE_LIMIT_BROWSER_PER_MINUTE: '2' }, deps: { now: () => now } })
  const statuses = []
  for (let i = 0; i < 3; i++) statuses.push((await h.app.inject(forged)).statusCode)
  t.same(statuses, [400, 400, 429])
  t.equal((await onboard(h, 'business_portfolio', GRANTS.business_portfolio)).callback.statusCode, 200, 'a good login still completes')
  now += 61_000
  t.equal((await h.app.inject(forged)).statusCode, 400, 'a new window, a new count')
  t.same(await h.redis.keys(`${h.prefix}*`), [], 'nothing written to Redis')
})

t.test('a Redis that fails does not turn refusals into 429s nor 503s: the limit fails open', async (t) => {
  const server = await RedisServer.create()
  await server.start()
  t.teardown(() => server.stop())
  const h = await build(t, { redisUrl: server.url, env: { RATE_LIMIT_BROWSER_PER_MINUTE: '1' } })
  t.equal((await h.app.inject(forged)).statusCode, 400)
  t.equal((await h.app.inject(forged)).statusCode, 429, 'counted while Redis answers')
  await server.stop()
  const started = Date.now()
  // refused before Redis is needed (no cookie), then the counter fails
  for (let i = 0; i < 3; i++) t.equal((await h.app.inject(forged)).statusCode, 400)
  t.ok(Date.now() - started < 5000, `answered at once (${Date.now() - started} ms)`)
})

t.test('the data deletion status page counts only its refusals, apart from the login routes', async (t) => {
  const h = await build(t, { env: { RATE_LIMIT_BROWSER_PER_MINUTE: '2' } })
  const deletion = await postForm(h, '/meta/data-deletion', { signed_request: h.sim.signedRequest() })
  const code = deletion.json().confirmation_code as string
  const statuses = []
  for (const c of ['unknown1', 'unknown2', 'unknown3']) statuses.push((await h.app.inject(`/meta/data-deletion/${c}`)).statusCode)
  t.same(statuses, [404, 404, 429], 'guessed confirmation codes are limited')
  for (let i = 0; i < 5; i++) t.equal((await h.app.inject(`/meta/data-deletion/${code}`)).statusCode, 200, `the person's own page, read ${i + 1} times`)
  t.equal((await h.app.inject(forged)).statusCode, 400, 'the login routes have their own count')
  t.equal(await h.redis.get(`${h.prefix}rl:deletion-page:127.0.0.1`), '3')
})

t.test('the counters: fixed windows that always end', async (t) => {
  let now = 1_000_000
  const memory = new MemoryRateCounter(60_000, () => now)
  t.teardown(() => memory.close())
  t.same(await memory.hit('a'), { count: 1, resetInMs: 60_000 })
  now += 59_000
  t.same(await memory.hit('a'), { count: 2, resetInMs: 1000 })
  t.same(await memory.hit('b'), { count: 1, resetInMs: 60_000 }, 'one count per key')
  now += 1000
  t.same(await memory.hit('a'), { count: 1, resetInMs: 60_000 }, 'the window ended')

  const redis = await testRedis(t)
  const prefix = `mo-test:${process.pid}:counter:${Date.now()}:`
  t.teardown(() => redis.del(`${prefix}a`, `${prefix}stuck`))
  const counter = new RedisRateCounter(redis, prefix, 60_000)
  t.match(await counter.hit('a'), { count: 1 })
  const second = await counter.hit('a')
  t.equal(second.count, 2)
  t.ok(second.resetInMs > 59_000 && second.resetInMs <= 60_000, 'the window is not extended by later hits')
  // a counter left without an expiry (written by hand, say) gets the window's on its next hit
  await redis.set(`${prefix}stuck`, '7')
  t.match(await counter.hit('stuck'), { count: 8, resetInMs: 60_000 })
  t.ok(await redis.pttl(`${prefix}stuck`) > 0)
  counter.close()
})
