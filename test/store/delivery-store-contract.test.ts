// The delivery and data deletion stores' contract (with the outbox's event writes that feed them): the same cases,
// through the public interfaces only, over the in-memory and the Redis stores, so the sandbox cannot drift from
// production. TTLs in seconds are checked per implementation at the end.
import t, { type Test } from 'tap'
import type { DataDeletionRecord, DeliveryCursor, DeliveryRecord } from '../../src/store/records.js'
import { testRedis } from '../helper.js'
import { startCluster } from '../redis-topologies.js'
import { dataDeletion, delivery, iso, memoryMake, pending, redisMake, T0, TTL, type Make } from './contract-stores.js'

const NOTHING = { pending: 0, dead: 0, oldestPendingCreatedAt: null }
const EMPTY = { items: [], next: null }

function contract (t: Test, make: Make): void {
  t.test('recordEvents: every event a pending delivery with its body; the data deletion request with them', async (t) => {
    const { stores: { deliveries, dataDeletions, outbox } } = await make(t)
    await outbox.recordEvents({ events: [], retentionSeconds: TTL })
    for (const status of ['pending', 'delivered', 'dead'] as const) t.strictSame(await deliveries.listDeliveries(status, 10), EMPTY, status)
    t.strictSame(await deliveries.deliveryStats(), NOTHING, 'no events: nothing written')

    const events = [pending(T0 + 2000), pending(T0), pending(T0 + 1000)]
    await outbox.recordEvents({ events, retentionSeconds: TTL })
    t.strictSame((await deliveries.listDeliveries('pending', 10)).items, [events[1]!, events[2]!, events[0]!].map((e) => e.delivery))
    for (const e of events) t.strictSame(await deliveries.getDeliveryWithEvent(e.delivery.id), e, 'its sealed body with it')

    const request = dataDeletion()
    const event = pending(T0 + 3000)
    await outbox.recordEvents({ events: [event], retentionSeconds: TTL, dataDeletion: request })
    t.strictSame(await dataDeletions.getDataDeletion(request.confirmation_code), request)
    t.strictSame(await deliveries.getDeliveryWithEvent(event.delivery.id), event)
  })

  t.test('putDelivery: moves the delivery between status lists; dropEvent deletes only the body', async (t) => {
    const { stores: { deliveries, outbox } } = await make(t)
    const e = pending(T0)
    await outbox.recordEvents({ events: [e], retentionSeconds: TTL })
    const delivered: DeliveryRecord = { ...e.delivery, status: 'delivered', attempts: 1, updated_at: iso(T0 + 500) }
    await deliveries.putDelivery(delivered, TTL)
    t.strictSame(await deliveries.listDeliveries('pending', 10), EMPTY, 'no longer pending')
    t.strictSame(await deliveries.listDeliveries('delivered', 10), { items: [delivered], next: null })
    t.strictSame(await deliveries.getDeliveryWithEvent(e.delivery.id), { delivery: delivered, sealedEvent: e.sealedEvent }, 'the body kept')

    const dead: DeliveryRecord = { ...delivered, status: 'dead', attempts: 9, last_error: 'HTTP 500', updated_at: iso(T0 + 900) }
    await deliveries.putDelivery(dead, TTL, { dropEvent: true })
    t.strictSame(await deliveries.listDeliveries('delivered', 10), EMPTY, 'no longer delivered')
    t.strictSame(await deliveries.listDeliveries('dead', 10), { items: [dead], next: null })
    t.strictSame(await deliveries.getDeliveryWithEvent(e.delivery.id), { delivery: dead, sealedEvent: null }, 'the record stays, its body goes')
  })

  t.test('listDeliveries: pages visit every delivery once, oldest first, ties in ID order', async (t) => {
    const { stores: { deliveries, outbox } } = await make(t)
    const events = [0, 1000, 1000, 1000, 2000, 3000, 3000].map((offset) => pending(T0 + offset))
    // written out of order, in two steps: the order must come from the store
    await outbox.recordEvents({ events: events.slice(0, 4).reverse(), retentionSeconds: TTL })
    await outbox.recordEvents({ events: events.slice(4).reverse(), retentionSeconds: TTL })
    const expected = events.map((e) => e.delivery)
      .sort((a, b) => Date.parse(a.created_at) - Date.parse(b.created_at) || (a.id < b.id ? -1 : 1))
    const at = (d: DeliveryRecord): DeliveryCursor => ({ createdAt: Date.parse(d.created_at), id: d.id })

    const pages: DeliveryRecord[][] = []
    let after: DeliveryCursor | undefined
    do {
      const page = await deliveries.listDeliveries('pending', 3, after)
      pages.push(page.items)
      if (page.next) t.strictSame(page.next, at(page.items[page.items.length - 1]!), 'next is the page\'s last item')
      after = page.next ?? undefined
    } while (after && pages.length < 10)
    t.strictSame(pages.map((p) => p.length), [3, 3, 1], 'three pages, the last with next null')
    t.strictSame(pages.flat(), expected, 'each delivery once, in order')
    t.strictSame(await deliveries.listDeliveries('pending', 3, at(expected[3]!)), { items: expected.slice(4), next: null }, 'a full last page')
    t.strictSame(await deliveries.listDeliveries('pending', 7), { items: expected, next: null }, 'all in one page')
    // the same pages from the index alone, as the outbox sweep reads them
    t.strictSame(await deliveries.listDeliveryIds('pending', 3), { items: expected.slice(0, 3).map(at), next: at(expected[2]!) })
    t.strictSame(await deliveries.listDeliveryIds('pending', 3, at(expected[3]!)), { items: expected.slice(4).map(at), next: null })
  })

  t.test('deliveryStats: pending and dead counts and the oldest pending creation', async (t) => {
    const { stores: { deliveries, outbox } } = await make(t)
    t.strictSame(await deliveries.deliveryStats(), NOTHING, 'nothing written')
    const events = [pending(T0 + 5000), pending(T0 + 2000), pending(T0 + 9000)]
    await outbox.recordEvents({ events, retentionSeconds: TTL })
    await deliveries.putDelivery(delivery({ status: 'dead', created_at: iso(T0), attempts: 9, last_error: 'HTTP 410' }), TTL)
    await deliveries.putDelivery(delivery({ status: 'delivered', created_at: iso(T0 - 1000), attempts: 1 }), TTL)
    t.strictSame(await deliveries.deliveryStats(), { pending: 3, dead: 1, oldestPendingCreatedAt: T0 + 2000 }, 'older non-pending ones do not count')
    for (const e of events) await deliveries.putDelivery({ ...e.delivery, status: 'delivered', attempts: 1 }, TTL)
    t.strictSame(await deliveries.deliveryStats(), { pending: 0, dead: 1, oldestPendingCreatedAt: null }, 'null once nothing is pending')
  })

  t.test('dataDeletions: round trip, a later write replaces, an unknown code', async (t) => {
    const { stores: { dataDeletions } } = await make(t)
    const request = dataDeletion()
    await dataDeletions.putDataDeletion(request, TTL)
    t.strictSame(await dataDeletions.getDataDeletion(request.confirmation_code), request)
    const completed: DataDeletionRecord = { ...request, status: 'completed', acknowledged_at: iso(T0 + 1000), completed_at: iso(T0 + 2000) }
    await dataDeletions.putDataDeletion(completed, TTL)
    t.strictSame(await dataDeletions.getDataDeletion(request.confirmation_code), completed)
    t.equal(await dataDeletions.getDataDeletion(dataDeletion().confirmation_code), null)
  })

  t.test('ping answers with a round-trip time', async (t) => {
    const { stores } = await make(t)
    const ms = await stores.ping()
    t.type(ms, 'number')
    t.ok(ms >= 0, `${ms} ms`)
  })
}

t.test('memory', async (t) => {
  contract(t, memoryMake)

  t.test('TTLs in seconds run on the store\'s clock', async (t) => {
    const { stores: { deliveries, dataDeletions, outbox }, advance } = await memoryMake(t)
    const written = pending(T0)
    const put = delivery()
    const request = dataDeletion()
    await outbox.recordEvents({ events: [written], retentionSeconds: 10 })
    await deliveries.putDelivery(put, 10)
    await dataDeletions.putDataDeletion(request, 10)
    await advance(9_999)
    t.ok(await deliveries.getDelivery(put.id), 'alive just before its TTL')
    await advance(1)
    t.strictSame(await deliveries.getDeliveryWithEvent(written.delivery.id), { delivery: null, sealedEvent: null }, 'the event and its body')
    t.equal(await deliveries.getDelivery(put.id), null, 'a put delivery')
    t.equal(await dataDeletions.getDataDeletion(request.confirmation_code), null, 'a data deletion request')
  })
})

// the same contract on a real three-master cluster, in the cluster layout: every step's keys in one slot
t.test('redis cluster', async (t) => {
  const cluster = await startCluster(t)
  contract(t, redisMake(cluster.client()))
})

t.test('redis', async (t) => {
  const redis = await testRedis(t)
  const make = redisMake(redis)
  contract(t, make)

  t.test('writes are Redis TTLs, and no events write no key', async (t) => {
    const { stores: { deliveries, dataDeletions, outbox }, prefix } = await make(t)
    await outbox.recordEvents({ events: [], retentionSeconds: TTL })
    t.strictSame(await redis.keys(`${prefix}*`), [], 'no key at all')
    const written = pending(T0)
    const request = dataDeletion()
    await outbox.recordEvents({ events: [written], retentionSeconds: 600, dataDeletion: request })
    const put = delivery()
    await deliveries.putDelivery(put, 600)
    await dataDeletions.putDataDeletion({ ...request, status: 'completed', completed_at: iso(T0) }, 600)
    const id = written.delivery.id
    for (const key of [`delivery:${id}`, `event:${id}`, `delivery:${put.id}`, `data-deletion:${request.confirmation_code}`]) {
      const ttl = await redis.pttl(prefix + key)
      t.ok(ttl > 590_000 && ttl <= 600_000, `${key.split(':')[0]}: ${ttl} ms`)
    }
  })
})
