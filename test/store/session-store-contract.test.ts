// The session store's contract (with the outcome that ends a session): the same cases, through the public
// interfaces only, over the in-memory and the Redis stores, so the sandbox cannot drift from production. TTLs in
// seconds are checked per implementation at the end: a moved clock for memory, PTTL for Redis.
import t, { type Test } from 'tap'
import { FLOW_NAMES } from '../../src/flows/flows.js'
import { CONFIG_IDS, testRedis } from '../helper.js'
import { startCluster } from '../redis-topologies.js'
import { chosenAs, hex, iso, memoryMake, METADATA, outcome, redisMake, sealed, session, sessionId, T0, TTL, unchosen, type Make } from './contract-stores.js'

const DAY = 86_400_000

function contract (t: Test, make: Make): void {
  t.test('a round trip gives an equal copy that the caller cannot change in the store', async (t) => {
    const { stores: { sessions } } = await make(t)
    const s = session({ metadata: structuredClone(METADATA) })
    const original = structuredClone(s)
    await sessions.createSession(s, TTL)
    s.external_id = 'changed after writing'
    const read = await sessions.getSession(s.id)
    t.strictSame(read, original)
    read!.status = 'failed'
    ;(read!.metadata!.tags as string[]).push('changed after reading')
    t.strictSame(await sessions.getSession(s.id), original, 'neither the written nor the read object is the stored one')
    t.equal(await sessions.getSession(sessionId()), null, 'an unknown session')
  })

  t.test('chooseFlow: missing, chosen once, then already chosen; the metadata unchanged', async (t) => {
    const { stores: { sessions } } = await make(t)
    t.strictSame(await sessions.chooseFlow(sessionId(), 'asset_based', CONFIG_IDS.asset_based), { status: 'missing' })
    const s = unchosen({ metadata: structuredClone(METADATA) })
    await sessions.createSession(s, TTL)
    const chosen = chosenAs(s, 'partner_billing')
    t.strictSame(await sessions.chooseFlow(s.id, 'partner_billing', CONFIG_IDS.partner_billing), { status: 'chosen', session: chosen })
    t.strictSame(await sessions.getSession(s.id), chosen, 'stored with flow and config_id, and [] still an array')
    t.strictSame(await sessions.chooseFlow(s.id, 'asset_based', CONFIG_IDS.asset_based), { status: 'already_chosen', session: chosen },
      'a second choice finds the first')
    const fixed = session()
    await sessions.createSession(fixed, TTL)
    t.strictSame(await sessions.chooseFlow(fixed.id, 'asset_based', CONFIG_IDS.asset_based), { status: 'already_chosen', session: fixed },
      'a session created with a flow keeps it')
  })

  t.test('chooseFlow: of concurrent choices exactly one is chosen', async (t) => {
    const { stores: { sessions } } = await make(t)
    for (const same of [false, true]) {
      const s = unchosen()
      await sessions.createSession(s, TTL)
      const flows = Array.from({ length: 10 }, (_, i) => same ? 'asset_based' : FLOW_NAMES[i % FLOW_NAMES.length]!)
      const results = await Promise.all(flows.map((flow) => sessions.chooseFlow(s.id, flow, CONFIG_IDS[flow])))
      const won = results.flatMap((r) => r.status === 'chosen' ? [r.session] : [])
      t.equal(won.length, 1, `one winner among ${same ? 'equal' : 'different'} choices`)
      t.ok(results.every((r) => r.status === 'chosen' || (r.status === 'already_chosen' && r.session.flow === won[0]?.flow)),
        'the others find its flow')
      t.strictSame(await sessions.getSession(s.id), won[0], 'the winner is what is stored')
    }
  })

  t.test('takeExpiredSessions: a chosen session once its expiry has passed, as its flow, exactly once', async (t) => {
    const { stores: { sessions } } = await make(t)
    const s = chosenAs(session(), 'asset_based')
    await sessions.createSession(s, TTL)
    const at = Date.parse(s.expires_at)
    t.strictSame(await sessions.takeExpiredSessions(at - 1, 10), [], 'not before its expiry')
    t.strictSame(await sessions.takeExpiredSessions(at, 10), ['asset_based'], 'at its expiry, under its flow')
    t.strictSame(await sessions.takeExpiredSessions(at + DAY, 10), [], 'never twice')

    const later = unchosen()
    await sessions.createSession(later, TTL)
    t.strictSame(await sessions.takeExpiredSessions(at + DAY, 10), [], 'not indexed while no flow is chosen')
    await sessions.chooseFlow(later.id, 'partner_billing', CONFIG_IDS.partner_billing)
    t.strictSame(await sessions.takeExpiredSessions(at + DAY, 10), ['partner_billing'], 'indexed once chosen')
  })

  t.test('takeExpiredSessions: the limit holds, and an outcome leaves the index', async (t) => {
    const { stores: { sessions, outbox } } = await make(t)
    for (const [i, flow] of FLOW_NAMES.entries()) await sessions.createSession(chosenAs(session({ expires_at: iso(T0 + i * 1000) }), flow), TTL)
    const decided = session({ expires_at: iso(T0) })
    await sessions.createSession(decided, TTL)
    await outbox.recordOutcome(outcome(decided))
    const first = await sessions.takeExpiredSessions(T0 + DAY, 2)
    t.equal(first.length, 2, 'no more than the limit')
    const rest = await sessions.takeExpiredSessions(T0 + DAY, 2)
    t.strictSame([...first, ...rest].sort(), [...FLOW_NAMES].sort(), 'the rest on the next call, the decided session in neither')
    t.strictSame(await sessions.takeExpiredSessions(T0 + DAY, 2), [])
  })

  t.test('login states: taken once, only by the browser whose nonce matches, and the session claimed with it', async (t) => {
    const { stores: { sessions } } = await make(t)
    const s = session()
    await sessions.createSession(s, TTL)
    const stateHash = hex(32)
    const state = { session_id: s.id, nonce_hash: hex(32) }
    await sessions.putLoginState(stateHash, state, 600)
    t.strictSame(await sessions.redeemLoginState(s.id, stateHash, hex(32), 30_000), { status: 'browser_mismatch' })
    t.strictSame(await sessions.redeemLoginState(sessionId(), stateHash, state.nonce_hash, 30_000), { status: 'missing' }, 'not under another session')
    t.strictSame(await sessions.redeemLoginState(s.id, stateHash, state.nonce_hash, 30_000), { status: 'claimed', session: s }, 'the mismatch did not consume it')
    t.strictSame(await sessions.redeemLoginState(s.id, stateHash, state.nonce_hash, 30_000), { status: 'missing' }, 'a second take finds nothing')
    t.strictSame(await sessions.redeemLoginState(s.id, hex(32), state.nonce_hash, 30_000), { status: 'missing' }, 'an unknown state')

    // a second state of the same session, while the first login holds it: taken, but busy
    const second = hex(32)
    await sessions.putLoginState(second, state, 600)
    t.strictSame(await sessions.redeemLoginState(s.id, second, state.nonce_hash, 30_000), { status: 'busy' })
    t.strictSame(await sessions.redeemLoginState(s.id, second, state.nonce_hash, 30_000), { status: 'missing' }, 'and used up')
    await sessions.releaseSession(s.id)
    const third = hex(32)
    await sessions.putLoginState(third, state, 600)
    await sessions.discardLoginState(s.id, third)
    t.strictSame(await sessions.redeemLoginState(s.id, third, state.nonce_hash, 30_000), { status: 'missing' }, 'a discarded state')
  })

  t.test('openLoginState: the session read, and the state stored only for a pending session with its flow chosen', async (t) => {
    const { stores: { sessions, outbox } } = await make(t)
    const nonceHash = hex(32)
    t.strictSame(await sessions.openLoginState(hex(32), { session_id: sessionId(), nonce_hash: nonceHash }, 60), { session: null, ttlMs: null }, 'an unknown session')
    const s = session()
    await sessions.createSession(s, TTL + 60)
    const stateHash = hex(32)
    const opened = await sessions.openLoginState(stateHash, { session_id: s.id, nonce_hash: nonceHash }, 60)
    t.strictSame(opened.session, s)
    t.ok(opened.ttlMs! > (TTL - 5) * 1000 && opened.ttlMs! <= TTL * 1000, `the state lives what is left of the session (${opened.ttlMs} ms)`)
    t.strictSame(await sessions.redeemLoginState(s.id, stateHash, nonceHash, 30_000), { status: 'claimed', session: s }, 'the state it stored')
    const free = unchosen()
    await sessions.createSession(free, TTL + 60)
    const unchosenHash = hex(32)
    t.strictSame(await sessions.openLoginState(unchosenHash, { session_id: free.id, nonce_hash: nonceHash }, 60), { session: free, ttlMs: null }, 'no flow chosen')
    t.strictSame(await sessions.redeemLoginState(free.id, unchosenHash, nonceHash, 30_000), { status: 'missing' })
    const write = outcome(s)
    await outbox.recordOutcome(write)
    t.strictSame(await sessions.openLoginState(hex(32), { session_id: s.id, nonce_hash: nonceHash }, 60), { session: write.session, ttlMs: null }, 'decided')
    const old = session()
    await sessions.createSession(old, 60)
    t.strictSame(await sessions.openLoginState(hex(32), { session_id: old.id, nonce_hash: nonceHash }, 60), { session: old, ttlMs: null },
      'past its expiry: nothing is left of its life but the retention')
  })

  t.test('claims: one holder at a time, freed by releaseSession, by the outcome and by its TTL', async (t) => {
    const { stores: { sessions, outbox }, advance } = await make(t)
    const s = session()
    await sessions.createSession(s, TTL)
    t.strictSame(await sessions.claimSession(s.id, 30_000), { claimed: true, session: s })
    t.strictSame(await sessions.claimSession(s.id, 30_000), { claimed: false }, 'held')
    await sessions.releaseSession(s.id)
    t.strictSame(await sessions.claimSession(s.id, 30_000), { claimed: true, session: s }, 'released')
    const write = outcome(s)
    await outbox.recordOutcome(write)
    t.strictSame(await sessions.claimSession(s.id, 30_000), { claimed: true, session: write.session }, 'the outcome released it')
    t.strictSame(await sessions.claimSession(sessionId(), 30_000), { claimed: true, session: null }, 'an unknown session')

    // the claim's TTL is in ms, short enough to wait for on Redis
    const short = session()
    await sessions.createSession(short, TTL)
    t.strictSame(await sessions.claimSession(short.id, 300), { claimed: true, session: short })
    t.strictSame(await sessions.claimSession(short.id, 300), { claimed: false })
    await advance(400)
    t.strictSame(await sessions.claimSession(short.id, 300), { claimed: true, session: short }, 'expired with its TTL')
  })

  t.test('recordOutcome: the decided session, its delivery and sealed event, pending', async (t) => {
    const { stores: { sessions, deliveries, outbox } } = await make(t)
    const s = session()
    await sessions.createSession(s, TTL)
    await sessions.putSealedToken(s.id, sealed(s.id), 600)
    const write = outcome(s)
    await outbox.recordOutcome(write)
    t.strictSame(await sessions.getSession(s.id), write.session)
    t.strictSame(await deliveries.getDeliveryWithEvent(write.delivery.id), { delivery: write.delivery, sealedEvent: write.sealedEvent })
    t.strictSame(await deliveries.getDelivery(write.delivery.id), write.delivery)
    t.strictSame(await deliveries.listDeliveries('pending', 10), { items: [write.delivery], next: null })
  })
}

t.test('memory', async (t) => {
  contract(t, memoryMake)

  t.test('TTLs in seconds run on the store\'s clock, and chooseFlow keeps the session\'s', async (t) => {
    const { stores: { sessions }, advance } = await memoryMake(t)
    const s = unchosen()
    await sessions.createSession(s, 10)
    const stateHash = hex(32)
    await sessions.putLoginState(stateHash, { session_id: s.id, nonce_hash: 'nonce-hash' }, 10)
    await advance(9_999)
    await sessions.chooseFlow(s.id, 'asset_based', CONFIG_IDS.asset_based)
    t.ok(await sessions.getSession(s.id), 'alive just before its TTL')
    await advance(1)
    t.equal(await sessions.getSession(s.id), null, 'gone at its TTL: the choice did not extend it')
    t.strictSame(await sessions.redeemLoginState(s.id, stateHash, 'nonce-hash', 1000), { status: 'missing' }, 'the login state too')
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

  t.test('openLoginState: a session whose metadata nests deeper than Lua\'s cjson reads is still read, its state left to the caller', async (t) => {
    const { stores: { sessions } } = await make(t)
    let deep: unknown = 'bottom'
    for (let i = 0; i < 1100; i++) deep = [deep]
    const s = session({ metadata: { deep } })
    await sessions.createSession(s, TTL + 60)
    const opened = await sessions.openLoginState(hex(32), { session_id: s.id, nonce_hash: hex(32) }, 60)
    t.strictSame(opened, { session: s, ttlMs: null })
  })

  t.test('a state issued before states named their session is still taken once', async (t) => {
    const { stores: { sessions }, prefix } = await make(t)
    const state = { session_id: sessionId(), nonce_hash: hex(32) }
    const stateHash = hex(32)
    await redis.set(`${prefix}state:${stateHash}`, JSON.stringify(state), 'EX', 600)
    t.strictSame(await sessions.takeLegacyLoginState(stateHash, hex(32)), { status: 'browser_mismatch' })
    t.strictSame(await sessions.takeLegacyLoginState(stateHash, state.nonce_hash), { status: 'ok', state })
    t.strictSame(await sessions.takeLegacyLoginState(stateHash, state.nonce_hash), { status: 'missing' })
  })

  t.test('TTLs in seconds are Redis TTLs; chooseFlow keeps the session\'s; the outcome drops token and claim', async (t) => {
    const { stores: { sessions, outbox }, prefix } = await make(t)
    const s = unchosen()
    await sessions.createSession(s, 600)
    const before = await redis.pttl(`${prefix}session:${s.id}`)
    t.ok(before > 590_000 && before <= 600_000, `the session's TTL (${before} ms)`)
    await sessions.chooseFlow(s.id, 'asset_based', CONFIG_IDS.asset_based)
    const after = await redis.pttl(`${prefix}session:${s.id}`)
    t.ok(after > 0 && after <= before, `the choice kept it (${after} ms)`)
    await sessions.putSealedToken(s.id, sealed(s.id), 600)
    t.ok(await redis.pttl(`${prefix}token:${s.id}`) > 590_000, 'the sealed token has its TTL')
    await sessions.claimSession(s.id, 30_000)
    await outbox.recordOutcome(outcome(chosenAs(s, 'asset_based')))
    t.equal(await redis.exists(`${prefix}token:${s.id}`, `${prefix}claim:${s.id}`), 0, 'sealed token and claim deleted')
    t.ok(await redis.pttl(`${prefix}session:${s.id}`) > (TTL - 10) * 1000, 'the decided session kept for the retention')
  })
})
