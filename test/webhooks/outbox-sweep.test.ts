// The outbox rule: an outcome recorded without its job (the instance died in between) is queued by the sweep.
import t from 'tap'
import { OutboxSweep } from '../../src/webhooks/outbox-sweep.js'
import { TokenSealer } from '../../src/webhooks/token-sealer.js'
import { build } from '../helper.js'

t.test('a pending delivery without a job is queued again, once, and delivered', async (t) => {
  const h = await build(t, { deps: { sweepMinAgeMs: 0 } })
  await h.app.ready()
  await h.app.outboxSweep.run()
  const sealer = new TokenSealer(h.config.tokenEncryptionKeys)
  const now = new Date().toISOString()
  const id = 'evt_0123456789abcdef0123456789abcdef'
  const body = JSON.stringify({ type: 'onboarding.failed', timestamp: now, data: { session_id: 'ses_0123456789abcdef0123456789abcdef', error: { code: 'user_denied', message: 'x' } } })
  // what #decide writes, without the queueing that follows it
  await h.app.store.recordOutcome({
    session: { id: 'ses_0123456789abcdef0123456789abcdef', flow: 'business_portfolio', status: 'failed', external_id: null, metadata: null, return_url: null, config_id: '111', created_at: now, expires_at: now, completed_at: now, result: null, error: { code: 'user_denied', message: 'x' }, event_id: id },
    delivery: { id, type: 'onboarding.failed', session_id: 'ses_0123456789abcdef0123456789abcdef', status: 'pending', attempts: 0, last_error: null, created_at: now, updated_at: now },
    sealedEvent: sealer.seal(body, id),
    retentionSeconds: 60
  })
  t.equal(await h.app.deliveryQueue.has(id), false, 'no job')
  t.equal(await h.app.outboxSweep.run(), 1, 'queued by the sweep')
  t.equal(await h.app.outboxSweep.run(), 0, 'and only once')
  const [event] = await h.receiver.waitFor((e) => e.length === 1)
  t.equal(event!.id, id)
  t.same(event!.body, JSON.parse(body), 'the body as it was recorded')
  await new Promise((resolve) => setTimeout(resolve, 100))
  t.equal((await h.app.store.getDelivery(id))!.status, 'delivered')
  t.equal(await h.app.outboxSweep.run(), 0, 'nothing left to sweep')
  t.match(h.logs.text, /outbox sweep queued pending deliveries that had no job/)
})

t.test('sessions that expire without an outcome are counted once, by the sweep', async (t) => {
  let now = Date.now()
  const h = await build(t, { env: { SESSION_TTL_SECONDS: '60' }, deps: { now: () => now } })
  await h.app.ready()
  for (const flow of ['business_portfolio', 'business_portfolio', 'asset_based']) {
    await h.app.inject({ method: 'POST', url: '/v1/sessions', headers: { authorization: `Bearer ${h.config.partnerApiKeys[0]}` }, payload: { flow } })
  }
  await h.app.outboxSweep.run()
  const expired = async () => (await h.app.inject('/metrics')).body.split('\n').filter((l) => l.includes('outcome="expired"')).join('\n')
  t.equal(await expired(), '', 'nothing expired yet')
  now += 61_000
  await h.app.outboxSweep.run()
  await h.app.outboxSweep.run()
  const lines = await expired()
  t.match(lines, /onboarding_sessions_total\{flow="business_portfolio",outcome="expired",error=""\} 2/)
  t.match(lines, /onboarding_sessions_total\{flow="asset_based",outcome="expired",error=""\} 1/)
})

t.test('the sweep pages through a backlog larger than one pass, and wraps around', async (t) => {
  const h = await build(t)
  const sealer = new TokenSealer(h.config.tokenEncryptionKeys)
  const ids: string[] = []
  for (let i = 0; i < 5; i++) {
    const id = `evt_${String(i).padStart(32, '0')}`
    const at = new Date(Date.now() - 60_000 + i).toISOString()
    const session = `ses_${String(i).padStart(32, '0')}`
    await h.app.store.recordOutcome({
      session: { id: session, flow: 'business_portfolio', status: 'failed', external_id: null, metadata: null, return_url: null, config_id: '111', created_at: at, expires_at: at, completed_at: at, result: null, error: { code: 'user_denied', message: 'x' }, event_id: id },
      delivery: { id, type: 'onboarding.failed', session_id: session, status: 'pending', attempts: 0, last_error: null, created_at: at, updated_at: at },
      sealedEvent: sealer.seal('{}', id),
      retentionSeconds: 60
    })
    ids.push(id)
  }
  // every delivery has its job but the newest, which sits behind two full pages
  const added: string[] = []
  const queue = { has: async (id: string) => id !== ids[4], add: async (id: string) => { added.push(id) }, close: async () => {}, health: () => ({ status: 'ok' as const, detail: '' }) }
  const sweep = new OutboxSweep({ store: h.app.store, queue, log: h.app.log, retentionSeconds: 60, batch: 2, minAgeMs: 0 })
  t.same([await sweep.run(), await sweep.run()], [0, 0], 'the first two pages have their jobs')
  t.equal(await sweep.run(), 1, 'the third page finds the missing one')
  t.same(added, [ids[4]])
  t.equal(await sweep.run(), 0, 'then it starts again from the oldest')
  t.same(added, [ids[4]])
})
