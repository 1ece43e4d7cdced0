// onboarding_store_ready, the gauge behind the "Redis not ready" alert: 1 while the store answers, 0 as soon as a
// scrape finds it stopped or hung, 1 again once it is back, without a restart; bounded, so a hung Redis cannot
// hold a scrape for longer than the bound.
import type { FastifyInstance } from 'fastify'
import { Redis } from 'ioredis'
import t from 'tap'
import { STORE_PING_TIMEOUT_MS, createMetrics } from '../../src/observability/metrics.js'
import { build } from '../helper.js'
import { RedisServer } from '../redis-server.js'

const GAUGE = /^onboarding_store_ready (\d+)$/m

/** the gauge as a scrape of /metrics reads it */
async function scrape (app: FastifyInstance): Promise<number> {
  const res = await app.inject('/metrics')
  const match = GAUGE.exec(res.body)
  if (res.statusCode !== 200 || !match) throw new Error(`no onboarding_store_ready in /metrics (${res.statusCode})`)
  return Number(match[1])
}

async function eventually (read: () => Promise<number>, want: number, timeoutMs = 10_000): Promise<number> {
  const deadline = Date.now() + timeoutMs
  let value = await read()
  while (value !== want && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100))
    value = await read()
  }
  return value
}

t.test('reads 1 while Redis answers, 0 once it stops, 1 again when it is back', async (t) => {
  const server = await RedisServer.create()
  await server.start()
  t.teardown(() => server.stop())
  const h = await build(t, { redisUrl: server.url })

  t.equal(await scrape(h.app), 1, 'Redis answers')
  t.match((await h.app.inject('/metrics')).body, /# TYPE onboarding_store_ready gauge/)

  await server.stop()
  t.equal(await scrape(h.app), 0, 'the first scrape after Redis stopped reads 0, as /readyz turns 503')
  t.equal((await h.app.inject('/readyz')).statusCode, 503, 'the gauge and /readyz agree')

  await server.start()
  t.equal(await eventually(() => scrape(h.app), 1), 1, 'back to 1 once the client has reconnected, without a restart')
})

t.test('a Redis that hangs (SIGSTOP) reads 0, and the scrape still ends', async (t) => {
  const server = await RedisServer.create()
  await server.start()
  t.teardown(() => server.stop())
  const probe = new Redis(server.url)
  const pid = Number(/process_id:(\d+)/.exec(await probe.info('server'))![1])
  probe.disconnect()
  const h = await build(t, { redisUrl: server.url })
  t.equal(await scrape(h.app), 1)

  // a stopped process keeps its socket open and never answers: the PING hangs instead of failing
  process.kill(pid, 'SIGSTOP')
  const resume = () => { try { process.kill(pid, 'SIGCONT') } catch {} }
  t.teardown(resume)
  const started = Date.now()
  t.equal(await scrape(h.app), 0, 'no answer within the bound is not ready')
  const elapsed = Date.now() - started
  // the queue gauges wait for the client's own command timeout; the readiness gauge for its bound only
  t.ok(elapsed < 5000, `the scrape ended in ${elapsed} ms`)

  resume()
  t.equal(await eventually(() => scrape(h.app), 1), 1, 'answers again once Redis resumes')
})

t.test('the in-process store is always ready, as /readyz says (200 with a warning)', async (t) => {
  const h = await build(t, { memory: true })
  t.equal(await scrape(h.app), 1)
  t.equal((await h.app.inject('/readyz')).statusCode, 200)
})

t.test('the gauge alone: bounded, and every failure reads 0', async (t) => {
  const read = async (metrics: ReturnType<typeof createMetrics>) => (await metrics.storeReady.get()).values[0]!.value

  const unset = createMetrics()
  t.equal(await read(unset), 0, 'no store known yet: not ready')

  const hung = createMetrics()
  hung.store.source = () => new Promise(() => {})
  const started = Date.now()
  t.equal(await read(hung), 0, 'a PING that never settles')
  const elapsed = Date.now() - started
  t.ok(elapsed >= STORE_PING_TIMEOUT_MS - 50 && elapsed < STORE_PING_TIMEOUT_MS + 1000, `waited the bound (${elapsed} ms)`)

  const throwing = createMetrics()
  throwing.store.source = () => { throw new Error('no client') }
  t.equal(await read(throwing), 0, 'a source that throws')

  const rejecting = createMetrics()
  rejecting.store.source = () => Promise.reject(new Error('Redis does not answer'))
  t.equal(await read(rejecting), 0, 'a PING that fails')

  const flapping = createMetrics()
  let up = true
  flapping.store.source = () => up ? Promise.resolve(0.4) : Promise.reject(new Error('down'))
  t.equal(await read(flapping), 1)
  up = false
  t.equal(await read(flapping), 0, 'asked afresh at each collection, never the value of an earlier one')
  up = true
  t.equal(await read(flapping), 1)
})
