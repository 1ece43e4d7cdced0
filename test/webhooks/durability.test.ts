// Nothing accepted is lost: a receiver that is down, two instances sharing one Redis, a service killed with
// SIGKILL, Redis restarted under traffic.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { buildApp } from '../../src/app.js'
import { API_KEY, auth, build, createSession, GRANTS, LogCapture, ownDatabase, startPeers, submitCode, testEnv } from '../helper.js'
import { RedisServer } from '../redis-server.js'
import { spawnService } from '../service-process.js'

t.test('a receiver that is down, then up again', async (t) => {
  const h = await build(t, { env: { WEBHOOK_RETRY_SCHEDULE: '100ms,200ms,400ms,800ms' } })
  await h.receiver.close()
  const { session } = await (async () => ({ session: { id: await submitCode(h) } }))()
  await new Promise((resolve) => setTimeout(resolve, 250))
  await h.receiver.start()
  const [event] = await h.receiver.waitFor((e) => e.length === 1, 5000)
  t.equal(event!.body.data.session_id, session.id)
  const view = (await h.app.inject({ url: `/v1/sessions/${session.id}`, headers: auth })).json()
  t.equal(view.delivery.status, 'delivered')
  t.ok(view.delivery.attempts >= 2, `delivered on attempt ${view.delivery.attempts}`)
})

t.test('two instances on one Redis deliver 500 events, each attempt once', async (t) => {
  const h = await build(t)
  const logs2 = new LogCapture()
  const second = await buildApp(h.config, { redis: h.redis, redisKeyPrefix: h.prefix, logStream: logs2, drainTimeoutMs: 500 })
  t.teardown(() => second.close())
  const apps = [h.app, second]
  const accepted: string[] = []
  let next = 0
  await Promise.all(Array.from({ length: 20 }, async () => {
    while (next < 500) {
      const app = apps[next++ % 2]!
      const id = await submitCode({ app, sim: h.sim })
      if (id) accepted.push(id)
    }
  }))
  t.equal(accepted.length, 500, 'every outcome accepted')
  const events = await h.receiver.waitFor((e) => e.length >= 500, 30_000)
  await new Promise((resolve) => setTimeout(resolve, 300))
  const byId = new Map<string, number>()
  for (const e of events) byId.set(e.id, (byId.get(e.id) ?? 0) + 1)
  t.equal(byId.size, 500, '500 distinct events')
  t.same([...byId.values()].filter((n) => n > 1), [], 'no event sent twice')
  t.same(new Set(events.map((e) => e.body.data.session_id)), new Set(accepted))
  const attemptsBy = (text: string) => text.split('\n').filter((l) => l.includes('"webhook attempt"')).length
  t.ok(attemptsBy(h.logs.text) > 0 && attemptsBy(logs2.text) > 0, `both instances delivered (${attemptsBy(h.logs.text)} + ${attemptsBy(logs2.text)})`)
  t.equal(attemptsBy(h.logs.text) + attemptsBy(logs2.text), 500)
})

t.test('a service killed with SIGKILL right after answering delivers every accepted event once restarted', async (t) => {
  const { sim, receiver } = await startPeers(t)
  const { redisUrl } = await ownDatabase(t, 12)
  // the partner's endpoint is down while the first process runs: every event is still pending when it dies
  await receiver.close()
  const env = testEnv(sim, receiver.url, { REDIS_URL: redisUrl, WEBHOOK_TIMEOUT_MS: '1000', WEBHOOK_RETRY_SCHEDULE: Array(10).fill('1s').join(',') })
  const first = await spawnService(env)
  t.teardown(() => first.stop('SIGKILL'))
  const accepted: string[] = []
  for (let i = 0; i < 30; i++) {
    const created = await fetch(`${first.base}/v1/sessions`, { method: 'POST', headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' }, body: '{"flow":"business_portfolio"}' })
    const session = await created.json() as { id: string }
    const res = await fetch(`${first.base}/v1/sessions/${session.id}/code`, { method: 'POST', headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' }, body: JSON.stringify({ code: sim.issueCode(GRANTS.business_portfolio) }) })
    if (res.status === 200) accepted.push(session.id)
  }
  t.equal(await first.stop('SIGKILL'), null, 'killed')
  t.equal(accepted.length, 30)
  const delivered = () => new Set(receiver.events.map((e) => e.body.data.session_id)).size
  t.equal(delivered(), 0, 'nothing delivered before the kill')
  await receiver.start()
  const second = await spawnService(env)
  t.teardown(() => second.stop('SIGKILL'))
  const started = Date.now()
  await receiver.waitFor(() => delivered() === 30, 45_000)
  t.same(new Set(receiver.events.map((e) => e.body.data.session_id)), new Set(accepted), `every accepted event arrived (${Date.now() - started} ms after the restart)`)
  const stopping = Date.now()
  t.equal(await second.stop('SIGTERM'), 0)
  t.ok(Date.now() - stopping < 5000, `stopped in ${Date.now() - stopping} ms`)
})

t.test('Redis stopped and restarted under traffic: no accepted event lost, no restart needed', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'mo-redis-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const server = await RedisServer.create(dir)
  await server.start()
  t.teardown(() => server.stop())
  const h = await build(t, { redisUrl: server.url, env: { WEBHOOK_RETRY_SCHEDULE: '100ms,200ms,500ms,1s,2s,5s' } })
  const accepted: string[] = []
  let refused = 0
  const traffic = { running: true }
  // four clients keep onboarding while Redis goes away and comes back
  const clients = Promise.all(Array.from({ length: 4 }, async () => {
    while (traffic.running) {
      const id = await submitCode(h).catch(() => null)
      if (id) accepted.push(id)
      else {
        refused++
        await new Promise((resolve) => setTimeout(resolve, 20))
      }
    }
  }))
  await new Promise((resolve) => setTimeout(resolve, 400))
  const before = accepted.length
  await server.stop('SIGTERM')
  await new Promise((resolve) => setTimeout(resolve, 600))
  await server.start()
  for (let i = 0; i < 100 && (await h.app.inject('/readyz')).statusCode !== 200; i++) await new Promise((resolve) => setTimeout(resolve, 100))
  await new Promise((resolve) => setTimeout(resolve, 400))
  traffic.running = false
  await clients
  t.ok(before > 0 && accepted.length > before, `${before} accepted before the outage, ${accepted.length} in all`)
  t.ok(refused > 0, `${refused} refused while Redis was down`)
  await h.receiver.waitFor((e) => accepted.every((id) => e.some((x) => x.body.data.session_id === id)), 30_000)
  t.pass('every accepted event was delivered')
  await createSession(h, { flow: 'asset_based' })
})

t.test('SIGTERM: in-flight callbacks and delivery attempts finish, then the process exits 0', async (t) => {
  const { sim, receiver } = await startPeers(t)
  const { redis, redisUrl } = await ownDatabase(t, 13)
  const service = await spawnService(testEnv(sim, receiver.url, { REDIS_URL: redisUrl }))
  t.teardown(() => service.stop('SIGKILL'))
  const headers = { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' }
  const session = await (await fetch(`${service.base}/v1/sessions`, { method: 'POST', headers, body: '{"flow":"business_portfolio"}' })).json() as { id: string }
  // Meta is slow to inspect the token, and the partner slow to answer the webhook
  sim.failNext('debug_token', { delayMs: 800 })
  receiver.plan.push({ status: 204, delayMs: 800 })
  const inFlight = fetch(`${service.base}/v1/sessions/${session.id}/code`, { method: 'POST', headers, body: JSON.stringify({ code: sim.issueCode(GRANTS.business_portfolio) }) })
  await new Promise((resolve) => setTimeout(resolve, 300))
  const exited = service.stop('SIGTERM')
  const answer = await inFlight
  t.equal(answer.status, 200, 'the callback in flight was answered')
  t.equal(((await answer.json()) as { status: string }).status, 'completed')
  t.equal(await exited, 0, 'exit code 0', { output: service.output().slice(-3000) })
  t.equal(receiver.events.length, 1, 'the delivery attempt in flight finished before the exit')
  const delivery = JSON.parse((await redis.get(`mo:delivery:${receiver.events[0]!.id}`))!)
  t.equal(delivery.status, 'delivered')
})
