// Webhook delivery: retried on failure with the same webhook-id, 410 stops, Retry-After honoured, dead after
// the last attempt; the token exists in Redis only sealed, and not at all once delivered.
import t from 'tap'
import { auth, build, GRANTS, keyContent, onboard, type Harness } from '../helper.js'

async function delivery (h: Harness, sessionId: string, status: string) {
  for (let i = 0; i < 100; i++) {
    const view = (await h.app.inject({ url: `/v1/sessions/${sessionId}`, headers: auth })).json()
    if (view.delivery?.status === status) return view.delivery
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  throw new Error(`delivery of ${sessionId} never became ${status}`)
}

t.test('failures are retried with the same webhook-id and body until the receiver accepts', async (t) => {
  const h = await build(t)
  h.receiver.plan.push(500, 503, 204)
  const { session } = await onboard(h, 'business_portfolio', GRANTS.business_portfolio)
  const events = await h.receiver.waitFor((e) => e.length >= 3)
  t.equal(new Set(events.map((e) => e.id)).size, 1, 'one webhook-id')
  t.same(events.map((e) => e.attempt), [1, 2, 3])
  t.same(events[2]!.body, events[0]!.body, 'the same body every time')
  t.same(await delivery(h, session.id, 'delivered'), { event_id: events[0]!.id, status: 'delivered', attempts: 3 })
  t.equal((await h.redis.keys(`${h.prefix}event:*`)).length, 0, 'the sealed event (and its token) is gone once delivered')
  const metrics = await h.app.inject('/metrics')
  t.match(metrics.body, /webhook_attempts_total\{outcome="failed"\} 2/)
  t.match(metrics.body, /webhook_attempts_total\{outcome="delivered"\} 1/)
})

t.test('410 stops at once; the last failure dead-letters', async (t) => {
  const h = await build(t)
  h.receiver.plan.push(410)
  const gone = await onboard(h, 'business_portfolio', GRANTS.business_portfolio)
  t.same(await delivery(h, gone.session.id, 'dead'), { event_id: h.receiver.events[0]!.id, status: 'dead', attempts: 1 })
  h.receiver.plan.push(500, 500, 500, 500)
  const failing = await onboard(h, 'business_portfolio', GRANTS.business_portfolio)
  const dead = await delivery(h, failing.session.id, 'dead')
  t.equal(dead.attempts, 4, 'three delays = four attempts')
  t.equal((await h.redis.keys(`${h.prefix}event:*`)).length, 2, 'dead events keep their sealed bodies for redelivery')
})

t.test('Retry-After on 429 is honoured when longer than the schedule', async (t) => {
  const h = await build(t)
  h.receiver.plan.push({ status: 429, headers: { 'retry-after': '1' } })
  await onboard(h, 'business_portfolio', GRANTS.business_portfolio)
  const first = Date.now()
  await h.receiver.waitFor((e) => e.length >= 1)
  const events = await h.receiver.waitFor((e) => e.length >= 2, 5000)
  t.equal(events[1]!.attempt, 2)
  t.ok(Date.now() - first >= 900, `waited about a second (${Date.now() - first} ms), not the 50 ms of the schedule`)
})

t.test('the token is in Redis only sealed', async (t) => {
  const h = await build(t)
  h.receiver.plan.push(500, 500, 500, 500)
  const { session } = await onboard(h, 'asset_based', GRANTS.asset_based)
  await delivery(h, session.id, 'dead')
  const token = h.receiver.events[0]!.body.data.access_token as string
  t.match(token, /^EAA/)
  let scanned = 0
  for (const key of await h.redis.keys(`${h.prefix}*`)) {
    const value = await keyContent(h.redis, key)
    scanned++
    t.notOk(value?.includes(token), `${key.slice(h.prefix.length)} does not hold the token in clear`)
    t.notOk(value?.includes('EAA'), 'nor anything token-shaped')
  }
  t.ok(scanned >= 3, `${scanned} keys scanned`)
})
