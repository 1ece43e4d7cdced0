// The index of each business's completed sessions, which the Business Integration events name: written by the
// outcome in its own atomic step, read without scanning. The same cases over the in-memory and the Redis stores;
// the TTL of the index is checked per implementation at the end.
import t, { type Test } from 'tap'
import type { OutcomeWrite } from '../../src/store/outbox-store.js'
import { testRedis } from '../helper.js'
import { startCluster } from '../redis-topologies.js'
import { iso, memoryMake, outcome, redisMake, session, T0, TTL, type Make } from './contract-stores.js'

const BUSINESS = '1234567890'
const OTHER = '1234567891'

/** the outcome of a new session of `businessId` (null: a user-token session), completed at `completedAt` */
function completed (businessId: string | null, completedAt: number): OutcomeWrite {
  const write = outcome(session())
  return { ...write, session: { ...write.session, completed_at: iso(completedAt), result: { ...write.session.result!, business_id: businessId } } }
}

/** the same session failed: no result, so no business */
function failed (completedAt: number): OutcomeWrite {
  const write = outcome(session())
  const error = { code: 'missing_permissions' as const, message: 'The admin did not grant every permission' }
  return { ...write, session: { ...write.session, status: 'failed', completed_at: iso(completedAt), result: null, error } }
}

/**
 * `layout`: on a cluster each group keeps its own index of a business, and an outcome prunes its group's only;
 * the service reads with `since` = now − retention (Sessions.completedOfBusiness), so what is left in another
 * group is never read, and its key expires a retention after its group's last outcome
 */
function contract (t: Test, make: Make, layout: 'single' | 'cluster' = 'single'): void {
  t.test('completed sessions of a business, oldest first (equal times by ID); other businesses apart', async (t) => {
    const { stores: { sessions, outbox } } = await make(t)
    t.strictSame(await sessions.completedSessionsOfBusiness(BUSINESS, 0, 10), [], 'none yet')
    const later = completed(BUSINESS, T0 + 2000)
    const first = completed(BUSINESS, T0)
    const tied = [completed(BUSINESS, T0 + 1000), completed(BUSINESS, T0 + 1000)]
    const other = completed(OTHER, T0 + 500)
    for (const write of [later, tied[0]!, first, other, tied[1]!]) await outbox.recordOutcome(write)
    const tiedIds = tied.map((w) => w.session.id).sort()
    t.strictSame(await sessions.completedSessionsOfBusiness(BUSINESS, 0, 10), [first.session.id, ...tiedIds, later.session.id],
      'in completion order, whatever order they were written in')
    t.strictSame(await sessions.completedSessionsOfBusiness(OTHER, 0, 10), [other.session.id])
    t.strictSame(await sessions.completedSessionsOfBusiness('999', 0, 10), [], 'an unknown business')
    await outbox.recordOutcome(first)
    t.strictSame(await sessions.completedSessionsOfBusiness(BUSINESS, 0, 10), [first.session.id, ...tiedIds, later.session.id], 'a session written twice is listed once')
  })

  t.test('only completed sessions with a business: failed and user-token sessions never join an index', async (t) => {
    const { stores: { sessions, outbox } } = await make(t)
    const kept = completed(BUSINESS, T0 + 1000)
    await outbox.recordOutcome(failed(T0))
    await outbox.recordOutcome(completed(null, T0))
    await outbox.recordOutcome(kept)
    t.strictSame(await sessions.completedSessionsOfBusiness(BUSINESS, 0, 10), [kept.session.id])
  })

  t.test('since and limit: completed at or after since, the oldest limit of them', async (t) => {
    const { stores: { sessions, outbox } } = await make(t)
    const writes = [0, 1000, 2000, 3000].map((ms) => completed(BUSINESS, T0 + ms))
    for (const write of writes) await outbox.recordOutcome(write)
    const ids = writes.map((w) => w.session.id)
    t.strictSame(await sessions.completedSessionsOfBusiness(BUSINESS, T0 + 1000, 10), ids.slice(1), 'since is inclusive')
    t.strictSame(await sessions.completedSessionsOfBusiness(BUSINESS, 0, 2), ids.slice(0, 2), 'the oldest, up to the limit')
    t.strictSame(await sessions.completedSessionsOfBusiness(BUSINESS, T0 + 3001, 10), [], 'none that recent')
  })

  if (layout === 'single') {
    t.test('an outcome drops the sessions completed more than the retention before it', async (t) => {
      const { stores: { sessions, outbox } } = await make(t)
      const old = completed(BUSINESS, T0)
      const edge = completed(BUSINESS, T0 + 1000)
      const recent = completed(BUSINESS, T0 + 1000 + TTL * 1000)
      for (const write of [old, edge, recent]) await outbox.recordOutcome(write)
      t.strictSame(await sessions.completedSessionsOfBusiness(BUSINESS, 0, 10), [edge.session.id, recent.session.id],
        'exactly the retention before is kept, earlier is dropped')
    })
  }
}

t.test('memory', async (t) => {
  contract(t, memoryMake)

  t.test('the index expires with the retention of its latest outcome', async (t) => {
    const { stores: { sessions, outbox }, advance } = await memoryMake(t)
    const first = completed(BUSINESS, T0)
    const second = completed(BUSINESS, T0 + 1000)
    await outbox.recordOutcome(first)
    await advance(TTL * 1000 - 1)
    await outbox.recordOutcome(second)
    await advance(TTL * 1000 - 1)
    t.strictSame(await sessions.completedSessionsOfBusiness(BUSINESS, 0, 10), [first.session.id, second.session.id], 'the second outcome refreshed it')
    await advance(1)
    t.strictSame(await sessions.completedSessionsOfBusiness(BUSINESS, 0, 10), [], 'gone at its TTL')
  })
})

// the same contract on a real three-master cluster, in the cluster layout: every step's keys in one slot
t.test('redis cluster', async (t) => {
  const cluster = await startCluster(t)
  contract(t, redisMake(cluster.client()), 'cluster')
})

t.test('redis', async (t) => {
  const redis = await testRedis(t)
  const make = redisMake(redis)
  contract(t, make)

  t.test('the index is a sorted set under business-sessions:<id> whose TTL each outcome sets to the retention', async (t) => {
    const { stores: { outbox }, prefix } = await make(t)
    const key = `${prefix}business-sessions:${BUSINESS}`
    const first = completed(BUSINESS, T0)
    await outbox.recordOutcome({ ...first, retentionSeconds: 600 })
    t.equal(await redis.type(key), 'zset')
    t.strictSame(await redis.zrange(key, 0, -1, 'WITHSCORES'), [first.session.id, String(T0)], 'the session ID, scored by its completion')
    t.ok(await redis.pttl(key) > 590_000, 'expires with the retention')
    await outbox.recordOutcome(completed(BUSINESS, T0 + 1000))
    t.ok(await redis.pttl(key) > (TTL - 10) * 1000, 'set again by the next outcome')
    await outbox.recordOutcome(failed(T0))
    t.strictSame(await redis.keys(`${prefix}business-sessions:*`), [key], 'no index for a failed session')
  })
})
