// What a test controls in the simulated Meta: failures planned for one endpoint (a status, a Graph error, a
// dropped connection, a delay), the calls it recorded, a reset that forgets everything, and a latency on every
// answer.
import t from 'tap'
import { MetaSimulator } from '../../src/sandbox/meta-simulator.js'
import { APP_ID, APP_SECRET, call, debug, exchange, flow1, proof, sim, tokenFor, V } from './meta-simulator-fixtures.js'

t.test('failNext: status, graph error, drop and delay affect only the named endpoint', async (t) => {
  const token = await tokenFor(flow1)
  sim.failNext('debug_token', { status: 500 })
  sim.failNext('debug_token', { status: 400, graphError: { code: 2, is_transient: true }, headers: { 'retry-after': '1' } }, 2)
  const first = await debug(token)
  t.equal(first.status, 500)
  t.equal(first.body, 'Internal Server Error', 'a plain body, not JSON')
  t.equal((await call(`/${V}/me`, { access_token: token, ...proof(token) })).status, 200, 'other endpoints are untouched')
  for (let i = 0; i < 2; i++) {
    const res = await debug(token)
    t.equal(res.status, 400)
    t.match(res.body.error, { code: 2, is_transient: true, type: 'OAuthException', fbtrace_id: String })
    t.equal(res.headers.get('retry-after'), '1')
  }
  t.equal((await debug(token)).body.data.is_valid, true, 'normal again afterwards')

  sim.failNext('me', { drop: true })
  await t.rejects(fetch(`${sim.url}/${V}/me`))

  sim.failNext('me', { delayMs: 2000 })
  const started = Date.now()
  await t.rejects(fetch(`${sim.url}/${V}/me?access_token=${token}`, { signal: AbortSignal.timeout(100) }), { name: 'TimeoutError' })
  t.ok(Date.now() - started < 1000)

  sim.failNext('exchange', { delayMs: 150 })
  const slowStart = Date.now()
  const slow = await exchange(sim.issueCode(flow1))
  t.ok(Date.now() - slowStart >= 140, 'the delay is served')
  t.equal(slow.status, 200, 'then the answer is normal')

  t.same(sim.calls.map((c) => c.endpoint), ['exchange', 'debug_token', 'me', 'debug_token', 'debug_token', 'debug_token', 'me', 'me', 'exchange'],
    'failed and dropped calls are recorded too')
  t.throws(() => { sim.failNext('me', { drop: true }, 0) }, RangeError)
})

t.test('recorded calls, unknown paths and reset', async (t) => {
  const res = await call(`/${V}/debug_token`, { input_token: 'abc', access_token: `${APP_ID}|${APP_SECRET}` }, { headers: { 'x-trace': 'yes' } })
  t.equal(res.status, 200)
  const [recorded] = sim.calls
  t.match(recorded, { endpoint: 'debug_token', method: 'GET', path: `/${V}/debug_token`, query: { input_token: 'abc', access_token: `${APP_ID}|${APP_SECRET}` } })
  t.equal(recorded?.headers['x-trace'], 'yes')
  t.equal(recorded?.form, undefined)

  const unknown = await call('/v26.0/someone/else')
  t.equal(unknown.status, 404)
  t.match(unknown.body.error, { message: /Unknown path components/, code: Number, fbtrace_id: String })
  t.equal((await call('/26.0/me')).status, 404, 'a version must look like vNN.N')
  t.equal((await call(`/${V}/me`, {}, { method: 'POST' })).status, 404)
  t.same(sim.calls.map((c) => c.endpoint), ['debug_token', 'other', 'other', 'other'])

  const token = await tokenFor(flow1)
  sim.failNext('me', { status: 503 })
  sim.reset()
  t.same(sim.calls, [])
  t.equal(sim.tokenInfo(token), undefined, 'tokens are forgotten')
  t.equal((await call(`/${V}/me`, { access_token: token, ...proof(token) })).body.error.code, 190, 'and so are pending failures')
})

t.test('latencyMs delays every answer', async (t) => {
  const slow = new MetaSimulator({ appId: APP_ID, appSecret: APP_SECRET, latencyMs: 120 })
  await slow.start()
  t.teardown(() => slow.close())
  t.throws(() => new MetaSimulator({ appId: 'a', appSecret: 'b' }).url, /not started/)
  const started = Date.now()
  const res = await fetch(`${slow.url}/nowhere`)
  t.equal(res.status, 404)
  t.ok(Date.now() - started >= 110)
})
