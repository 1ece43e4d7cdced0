// /v1/deliveries: dead letters listed and redelivered with the same event ID; paging; bad input refused;
// the queue gauges follow.
import t from 'tap'
import { auth, build, GRANTS, onboard, type Harness } from '../helper.js'

const get = (h: Harness, url: string) => h.app.inject({ url, headers: auth })
const redeliver = (h: Harness, id: string) => h.app.inject({ method: 'POST', url: `/v1/deliveries/${id}/redeliver`, headers: auth })

async function until (check: () => Promise<boolean>, what: string) {
  for (let i = 0; i < 200; i++) {
    if (await check()) return
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  throw new Error(`never: ${what}`)
}

t.test('a dead letter is listed, redelivered with the same event ID and a fresh schedule, and delivered', async (t) => {
  const h = await build(t)
  h.receiver.plan.push(500, 500, 500, 500)
  const { session } = await onboard(h, 'business_portfolio', GRANTS.business_portfolio)
  await until(async () => (await get(h, '/v1/deliveries')).json().data.length === 1, 'dead-lettered')
  const list = (await get(h, '/v1/deliveries')).json()
  const dead = list.data[0]
  t.same(Object.keys(dead).sort(), ['attempts', 'created_at', 'id', 'last_error', 'session_id', 'status', 'type', 'updated_at'])
  t.match(dead, { type: 'onboarding.completed', session_id: session.id, status: 'dead', attempts: 4, last_error: 'HTTP 500' })
  t.equal(list.next_cursor, null)
  const metrics = (await h.app.inject('/metrics')).body
  t.match(metrics, /webhook_dead_letters 1/)
  t.match(metrics, /webhook_queue_depth 0/)

  // the receiver fails the first attempt of the new schedule too: the schedule restarted, so it is retried
  h.receiver.plan.push(500)
  const res = await redeliver(h, dead.id)
  t.equal(res.statusCode, 202)
  t.match(res.json(), { id: dead.id, status: 'pending', attempts: 4 })
  t.equal((await redeliver(h, dead.id)).statusCode, 409, 'no longer dead')
  await until(async () => (await get(h, '/v1/deliveries?status=delivered')).json().data.length === 1, 'delivered')
  const delivered = (await get(h, '/v1/deliveries?status=delivered')).json().data[0]
  t.match(delivered, { id: dead.id, status: 'delivered', attempts: 6, last_error: null })
  t.same(new Set(h.receiver.events.map((e) => e.id)), new Set([dead.id]), 'one webhook-id throughout')
  t.equal(h.receiver.events.length, 6)
  t.same((await get(h, '/v1/deliveries')).json().data, [], 'no dead letter left')
  t.match((await h.app.inject('/metrics')).body, /webhook_dead_letters 0/)
  t.same((await get(h, `/v1/sessions/${session.id}`)).json().delivery, { event_id: dead.id, status: 'delivered', attempts: 6 })
})

t.test('paging: oldest first, opaque cursors, no item twice', async (t) => {
  const h = await build(t, { env: { WEBHOOK_RETRY_SCHEDULE: '1ms' } })
  h.receiver.plan.push(...Array(10).fill(410))
  const ids: string[] = []
  for (let i = 0; i < 5; i++) ids.push((await onboard(h, 'business_portfolio', GRANTS.business_portfolio)).session.id)
  await until(async () => (await get(h, '/v1/deliveries?limit=1000')).json().data.length === 5, 'five dead')
  const seen: string[] = []
  let cursor: string | null = null
  let pages = 0
  do {
    const page: any = (await get(h, `/v1/deliveries?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`)).json()
    t.ok(page.data.length <= 2)
    seen.push(...page.data.map((d: any) => d.session_id))
    cursor = page.next_cursor
    pages++
  } while (cursor && pages < 10)
  t.same(seen, ids, 'every dead letter once, oldest first')
  t.equal(pages, 3)
})

t.test('bad queries and unknown deliveries', async (t) => {
  const h = await build(t)
  for (const query of ['status=lost', 'limit=0', 'limit=1001', 'limit=abc', 'limit=-1', 'cursor=bm90LWEtY3Vyc29y', 'cursor=%25%25', 'foo=bar']) {
    const res = await get(h, `/v1/deliveries?${query}`)
    t.equal(res.statusCode, 400, query)
    t.equal(res.json().code, 'invalid_request', query)
  }
  t.equal((await get(h, '/v1/deliveries?status=pending&limit=1000')).statusCode, 200)
  const unknown = await redeliver(h, 'evt_00000000000000000000000000000000')
  t.equal(unknown.statusCode, 404)
  t.equal(unknown.json().code, 'delivery_not_found')
  t.equal((await redeliver(h, 'x'.repeat(300))).json().code, 'delivery_not_found')
  t.equal((await h.app.inject({ method: 'POST', url: '/v1/deliveries/evt_x/redeliver' })).statusCode, 401)
  const { session } = await onboard(h, 'business_portfolio', GRANTS.business_portfolio)
  await h.receiver.waitFor((e) => e.length === 1)
  const eventId = h.receiver.events[0]!.id
  await until(async () => (await get(h, `/v1/sessions/${session.id}`)).json().delivery.status === 'delivered', 'delivered')
  const notDead = await redeliver(h, eventId)
  t.equal(notDead.statusCode, 409)
  t.equal(notDead.json().code, 'delivery_not_dead')
})

t.test('oldest pending age and queue depth while the receiver is failing', async (t) => {
  const h = await build(t, { env: { WEBHOOK_RETRY_SCHEDULE: '10s' } })
  h.receiver.plan.push(500)
  await onboard(h, 'business_portfolio', GRANTS.business_portfolio)
  await h.receiver.waitFor((e) => e.length === 1)
  await new Promise((resolve) => setTimeout(resolve, 1100))
  const metrics = (await h.app.inject('/metrics')).body
  t.match(metrics, /webhook_queue_depth 1/)
  const age = Number(/webhook_oldest_pending_seconds ([\d.]+)/.exec(metrics)?.[1])
  t.ok(age >= 1 && age < 10, `oldest pending ${age} s`)
  t.equal((await get(h, '/v1/deliveries?status=pending')).json().data[0].attempts, 1)
})
