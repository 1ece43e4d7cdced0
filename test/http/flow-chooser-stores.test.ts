// How the stores keep a flow choice: of two concurrent choices of one session exactly one wins, on Redis and
// on the in-process store alike; a choice fixes the flow once and keeps the session's expiry and TTL; a
// session written before the chooser existed reads flows [flow].
import t, { type Test } from 'tap'
import type { FlowName } from '../../src/flows/flows.js'
import { memoryStores } from '../../src/store/memory/memory-stores.js'
import { Browser, build, createSession, type Harness } from '../helper.js'
import { read } from './flow-chooser-fixtures.js'

/** two browsers choose different flows of one session at the same moment */
async function race (t: Test, h: Harness, rounds: number) {
  for (let i = 0; i < rounds; i++) {
    const s = await createSession(h, {})
    const [a, b] = await Promise.all([
      new Browser(h.app).get(`/login/${s.id}?flow=business_portfolio`),
      new Browser(h.app).get(`/login/${s.id}?flow=partner_billing`)
    ])
    const statuses = [a.statusCode, b.statusCode].sort()
    if (statuses[0] !== 302 || statuses[1] !== 409) t.fail(`round ${i}: ${statuses.join(', ')}`)
    const winner = a.statusCode === 302 ? 'business_portfolio' : 'partner_billing'
    const loser = a.statusCode === 302 ? b : a
    t.match(loser.body, 'flow_already_chosen', `round ${i}: the other gets the 409 page`)
    t.equal((await read(h, s.id)).flow, winner, `round ${i}: the session has the winner's flow`)
  }
}

t.test('concurrent choices on Redis: exactly one wins', async (t) => {
  await race(t, await build(t), 15)
})

t.test('concurrent choices on the in-process store: exactly one wins', async (t) => {
  await race(t, await build(t, { memory: true }), 5)
})

t.test('the in-process store fixes a flow once and keeps the session\'s expiry', async (t) => {
  let now = 1_000_000
  const stores = memoryStores(() => now)
  t.teardown(() => stores.close())
  const store = stores.sessions
  t.same(await store.chooseFlow('ses_x', 'asset_based', '222'), { status: 'missing' })
  const session = { id: 'ses_x', flow: null, flows: ['asset_based' as FlowName, 'partner_billing' as FlowName], status: 'pending' as const, external_id: null, metadata: null, return_url: null, config_id: null, created_at: new Date(now).toISOString(), expires_at: new Date(now + 1000).toISOString(), completed_at: null, result: null, error: null, event_id: null }
  await store.createSession(session, 10)
  t.same(await store.takeExpiredSessions(now + 2000, 10), [], 'not in the expiry index before a flow is chosen')
  const chosen = await store.chooseFlow('ses_x', 'partner_billing', '333')
  t.equal(chosen.status, 'chosen')
  const again = await store.chooseFlow('ses_x', 'asset_based', '222')
  t.equal(again.status, 'already_chosen')
  t.equal(again.status !== 'missing' && again.session.flow, 'partner_billing')
  now += 9_000
  t.equal((await store.getSession('ses_x'))?.flow, 'partner_billing')
  t.same(await store.takeExpiredSessions(now, 10), ['partner_billing'], 'counted as expired under its flow')
  now += 1_001
  t.equal(await store.getSession('ses_x'), null, 'the choice did not extend the record\'s lifetime')
})

t.test('Redis: a choice keeps the session\'s TTL; a session written before the chooser reads flows [flow]', async (t) => {
  const h = await build(t)
  const s = await createSession(h, {})
  const key = `${h.prefix}session:${s.id}`
  const before = await h.redis.pttl(key)
  await new Browser(h.app).get(`/login/${s.id}?flow=business_portfolio`)
  const after = await h.redis.pttl(key)
  t.ok(after > 0 && after <= before, `TTL kept (${before} → ${after} ms)`)
  t.equal(await h.redis.zscore(`${h.prefix}sessions:expiries`, `business_portfolio:${s.id}`), String(Date.parse(s.expires_at)), 'in the expiry index under its flow')

  const legacy = JSON.parse((await h.redis.get(key))!)
  delete legacy.flows
  await h.redis.set(key, JSON.stringify(legacy), 'KEEPTTL')
  const view = await read(h, s.id)
  t.same(view.flows, ['business_portfolio'], 'flows derived from flow')
  t.equal((await new Browser(h.app).get(`/login/${s.id}?flow=asset_based`)).statusCode, 409)
})
