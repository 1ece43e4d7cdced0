// Redis stops: /healthz stays 200, /readyz goes 503, requests that need Redis fail fast with 503; Redis
// comes back: the service recovers by itself.
import t from 'tap'
import { auth, build, Browser, GRANTS, onboard } from '../helper.js'
import { RedisServer } from '../redis-server.js'

t.test('readyz and requests follow Redis going away and coming back', async (t) => {
  const server = await RedisServer.create()
  await server.start()
  t.teardown(() => server.stop())
  const h = await build(t, { redisUrl: server.url })

  const ready = await h.app.inject('/readyz')
  t.equal(ready.statusCode, 200)
  t.equal(ready.json().checks.redis.status, 'ok')
  t.equal(ready.json().checks.store.kind, 'redis')
  t.type(ready.json().checks.redis.latency_ms, 'number')
  t.equal(ready.json().checks.delivery_worker.status, 'ok', 'the delivery worker is running')
  const created = await h.app.inject({ method: 'POST', url: '/v1/sessions', headers: auth, payload: { flow: 'business_portfolio' } })
  t.equal(created.statusCode, 201)

  await server.stop()

  const started = Date.now()
  const down = await h.app.inject('/readyz')
  t.equal(down.statusCode, 503)
  t.equal(down.json().checks.redis.status, 'fail')
  t.notMatch(down.body, /redis:\/\//, 'no connection string in the detail')
  t.equal((await h.app.inject('/healthz')).statusCode, 200)

  const api = await h.app.inject({ method: 'POST', url: '/v1/sessions', headers: auth, payload: { flow: 'business_portfolio' } })
  t.equal(api.statusCode, 503)
  t.match(api.headers['content-type'], /^application\/problem\+json/)
  t.equal(api.json().code, 'service_unavailable')
  t.ok(api.headers['retry-after'])
  const page = await new Browser(h.app).get(created.json().login_url)
  t.equal(page.statusCode, 503)
  t.match(page.headers['content-type'], /^text\/html/)
  const callback = await new Browser(h.app).get(`/oauth/callback?code=abc&state=${'A'.repeat(43)}`)
  t.equal(callback.statusCode, 400, 'no cookie: refused before Redis is needed')
  t.ok(Date.now() - started < 10_000, `failed fast (${Date.now() - started} ms for all of the above)`)

  await server.start()
  let back = 0
  for (let i = 0; i < 100 && back !== 200; i++) {
    await new Promise((resolve) => setTimeout(resolve, 100))
    back = (await h.app.inject('/readyz')).statusCode
  }
  t.equal(back, 200, 'ready again without a restart')
  const again = await h.app.inject({ method: 'POST', url: '/v1/sessions', headers: auth, payload: { flow: 'business_portfolio' } })
  t.equal(again.statusCode, 201)
})

t.test('a Redis that is down at start-up is not fatal', async (t) => {
  const server = await RedisServer.create()
  const h = await build(t, { redisUrl: server.url })
  t.equal((await h.app.inject('/readyz')).statusCode, 503)
  t.equal((await h.app.inject('/healthz')).statusCode, 200)
  await server.start()
  t.teardown(() => server.stop())
  let status = 0
  for (let i = 0; i < 100 && status !== 200; i++) {
    await new Promise((resolve) => setTimeout(resolve, 100))
    status = (await h.app.inject('/readyz')).statusCode
  }
  t.equal(status, 200)
})

t.test('the in-process store: ready with a warning, and a whole flow works', async (t) => {
  const h = await build(t, { memory: true })
  const ready = await h.app.inject('/readyz')
  t.equal(ready.statusCode, 200)
  t.equal(ready.json().checks.redis.status, 'warn')
  t.equal(ready.json().checks.store.kind, 'memory')
  t.match(h.logs.text, /in-process store/)
  const { callback, session } = await onboard(h, 'asset_based', GRANTS.asset_based)
  t.equal(callback.statusCode, 200)
  const [event] = await h.receiver.waitFor((e) => e.length >= 1)
  t.equal(event!.body.data.session_id, session.id)
  t.equal((await h.redis.keys(`${h.prefix}*`)).length, 0, 'nothing written to Redis')
  const replay = await new Browser(h.app).get('/oauth/callback?code=x&state=' + 'A'.repeat(43))
  t.equal(replay.statusCode, 400)
})
