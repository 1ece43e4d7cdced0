// The outbox rule: an outcome recorded without its job (the instance died in between) is queued by the sweep.
import t from 'tap'
import { buildApp } from '../../src/app.js'
import { TokenSealer } from '../../src/lib/token-sealer.js'
import { OutboxSweep } from '../../src/webhooks/outbox-sweep.js'
import { build, LogCapture, type Harness } from '../helper.js'

/** an outcome as the outbox writes it, without the first attempt that follows it: what an instance that died in between leaves */
async function outcomeWithoutAttempt (h: Harness, i: number, at: string, body = '{}') {
  const id = `evt_${String(i).padStart(32, '0')}`
  const session = `ses_${String(i).padStart(32, '0')}`
  await h.stores.outbox.recordOutcome({
    session: { id: session, flow: 'business_portfolio', status: 'failed', external_id: null, metadata: null, return_url: null, config_id: '111', created_at: at, expires_at: at, completed_at: at, result: null, error: { code: 'user_denied', message: 'x' }, event_id: id },
    delivery: { id, type: 'onboarding.failed', session_id: session, status: 'pending', attempts: 0, last_error: null, created_at: at, updated_at: at },
    sealedEvent: new TokenSealer(h.config.tokenEncryptionKeys).seal(body, id),
    retentionSeconds: 60
  })
  return id
}

/** BullMQ keeps each job in a hash named after its ID */
const jobKeys = (h: Harness) => h.redis.keys(`${h.prefix}bull:webhooks:evt_*`)

t.test('a pending delivery without a job is queued by the next instance\'s sweep, once, and delivered', async (t) => {
  const h = await build(t, { deps: { sweepMinAgeMs: 0 } })
  await h.app.ready()
  const now = new Date().toISOString()
  const body = JSON.stringify({ type: 'onboarding.failed', timestamp: now, data: { session_id: `ses_${'0'.repeat(32)}`, error: { code: 'user_denied', message: 'x' } } })
  const id = await outcomeWithoutAttempt(h, 0, now, body)
  t.same(await jobKeys(h), [], 'no job')
  // another instance starts on the same Redis: its start-up sweep finds the delivery
  const logs = new LogCapture()
  const second = await buildApp(h.config, { redis: h.redis, redisKeyPrefix: h.prefix, logStream: logs, drainTimeoutMs: 500, sweepMinAgeMs: 0 })
  t.teardown(() => second.close())
  await second.ready()
  const [event] = await h.receiver.waitFor((e) => e.length === 1)
  t.equal(event!.id, id)
  t.same(event!.body, JSON.parse(body), 'the body as it was recorded')
  for (let i = 0; i < 50 && (await h.stores.deliveries.getDelivery(id))?.status !== 'delivered'; i++) await new Promise((resolve) => setTimeout(resolve, 20))
  t.equal((await h.stores.deliveries.getDelivery(id))!.status, 'delivered')
  // a third instance finds nothing left to queue
  const third = await buildApp(h.config, { redis: h.redis, redisKeyPrefix: h.prefix, logStream: logs, drainTimeoutMs: 500, sweepMinAgeMs: 0 })
  t.teardown(() => third.close())
  await third.ready()
  await new Promise((resolve) => setTimeout(resolve, 200))
  t.equal(h.receiver.events.length, 1, 'delivered once')
  t.equal(logs.lines.filter((l) => l.includes('outbox sweep queued pending deliveries that had no job')).length, 1, 'queued by one sweep only')
})

t.test('sessions that expire without an outcome are counted once, by the sweep', async (t) => {
  let now = Date.now()
  const h = await build(t, { env: { SESSION_TTL_SECONDS: '60' }, deps: { now: () => now, sweepIntervalMs: 50 } })
  await h.app.ready()
  for (const flow of ['business_portfolio', 'business_portfolio', 'asset_based']) {
    await h.app.inject({ method: 'POST', url: '/v1/sessions', headers: { authorization: `Bearer ${h.config.partnerApiKeys[0]}` }, payload: { flow } })
  }
  const expired = async () => (await h.app.inject('/metrics')).body.split('\n').filter((l) => l.includes('outcome="expired"')).join('\n')
  await new Promise((resolve) => setTimeout(resolve, 200))
  t.equal(await expired(), '', 'nothing expired yet')
  now += 61_000
  for (let i = 0; i < 100 && !(await expired()).includes('asset_based'); i++) await new Promise((resolve) => setTimeout(resolve, 20))
  // a few more passes count nothing again
  await new Promise((resolve) => setTimeout(resolve, 200))
  const lines = await expired()
  t.match(lines, /onboarding_sessions_total\{flow="business_portfolio",outcome="expired",error=""\} 2/)
  t.match(lines, /onboarding_sessions_total\{flow="asset_based",outcome="expired",error=""\} 1/)
})

t.test('the sweep pages through a backlog larger than one pass, and wraps around', async (t) => {
  const h = await build(t)
  const ids: string[] = []
  for (let i = 0; i < 5; i++) ids.push(await outcomeWithoutAttempt(h, i, new Date(Date.now() - 60_000 + i).toISOString()))
  // every delivery has its job but the newest, which sits behind two full pages
  const added: string[] = []
  const queue = { held: async (asked: readonly string[]) => new Set(asked.filter((id) => id !== ids[4])), add: async (id: string) => { added.push(id) }, close: async () => {}, health: () => ({ status: 'ok' as const, detail: '' }) }
  const sweep = new OutboxSweep({ deliveries: h.stores.deliveries, sessions: h.stores.sessions, queue, log: h.app.log, retentionSeconds: 60, batch: 2, minAgeMs: 0 })
  t.same([await sweep.run(), await sweep.run()], [0, 0], 'the first two pages have their jobs')
  t.equal(await sweep.run(), 1, 'the third page finds the missing one')
  t.same(added, [ids[4]])
  t.equal(await sweep.run(), 0, 'then it starts again from the oldest')
  t.same(added, [ids[4]])
})
