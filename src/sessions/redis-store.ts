// The Redis store. Every call fails fast (see redis-client.ts) and a failure surfaces as
// StoreUnavailableError, which routes answer with 503.
import { createHash } from 'node:crypto'
import type { Redis } from 'ioredis'
import type { FlowName } from '../onboarding/flows.js'
import { StoreUnavailableError } from '../problems.js'
import { isChosen } from './records.js'
import type {
  ChooseFlowResult, ChosenSession, DataDeletionRecord, DeliveryCursor, DeliveryRecord, DeliveryStatus, EventsWrite, LoginState, OutcomeWrite,
  SessionRecord, Store, TakeLoginStateResult
} from './records.js'

const STATUSES: DeliveryStatus[] = ['pending', 'delivered', 'dead']

/**
 * A Lua script run by its SHA (EVALSHA, with EVAL once if Redis does not know it yet). Writes that must land
 * together are scripts rather than MULTI: atomic the same way, and far cheaper in ioredis, whose MULTI builds a
 * pipeline object per call (measured: bench/README.md).
 */
class LuaScript {
  readonly #sha: string
  constructor (private readonly source: string) {
    this.#sha = createHash('sha1').update(source).digest('hex')
  }

  async run (redis: Redis, keys: string[], args: Array<string | number>): Promise<unknown> {
    try {
      return await redis.evalsha(this.#sha, keys.length, ...keys, ...args)
    } catch (err) {
      if (!String((err as Error).message).startsWith('NOSCRIPT')) throw err
      return await redis.eval(this.source, keys.length, ...keys, ...args)
    }
  }
}

// Takes a login state only when the browser's nonce hash matches, in one atomic step: a wrong browser
// does not burn the state of the right one, and a second take finds nothing. KEYS: state · ARGV: nonce hash
const TAKE_STATE = new LuaScript(`
local v = redis.call('GET', KEYS[1])
if not v then return 0 end
if cjson.decode(v).nonce_hash ~= ARGV[1] then return -1 end
redis.call('DEL', KEYS[1])
return v`)

// KEYS: session, expiries · ARGV: session JSON, TTL s, expiry ms, expiries member ('' while no flow is chosen)
const CREATE_SESSION = new LuaScript(`
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
if ARGV[4] ~= '' then redis.call('ZADD', KEYS[2], ARGV[3], ARGV[4]) end`)

// Fixes a session's flow only if the session is still exactly as it was read (compare-and-set): of two
// concurrent choices, the second finds it changed. The record is rewritten whole by the caller rather than
// edited here, since cjson would turn an empty array of the partner's metadata into an object.
// KEYS: session, expiries · ARGV: JSON as read, JSON with the flow, expiry ms, expiries member
const CHOOSE_FLOW = new LuaScript(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
local ttl = redis.call('PTTL', KEYS[1])
if ttl > 0 then redis.call('SET', KEYS[1], ARGV[2], 'PX', ttl) else redis.call('SET', KEYS[1], ARGV[2]) end
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[4])
return 1`)

// Claims a session for one login and returns it, in one step. KEYS: claim, session · ARGV: TTL ms
const CLAIM_SESSION = new LuaScript(`
if not redis.call('SET', KEYS[1], '1', 'PX', ARGV[1], 'NX') then return false end
return redis.call('GET', KEYS[2]) or ''`)

// The outbox write. KEYS: session, delivery, event, pending index, token, claim, expiries
// ARGV: session JSON, delivery JSON, sealed event, TTL s, created ms, delivery ID, expiries member
const RECORD_OUTCOME = new LuaScript(`
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[4])
redis.call('SET', KEYS[2], ARGV[2], 'EX', ARGV[4])
redis.call('SET', KEYS[3], ARGV[3], 'EX', ARGV[4])
redis.call('ZADD', KEYS[4], ARGV[5], ARGV[6])
redis.call('DEL', KEYS[5], KEYS[6])
redis.call('ZREM', KEYS[7], ARGV[7])`)

// The outbox write of events without a session, all or none: n deliveries and their sealed bodies, and
// optionally the data deletion request they report.
// KEYS: pending index, then delivery and event of each, then (optionally) the data deletion request
// ARGV: TTL s, n, then delivery JSON, sealed event, created ms, ID of each, then (optionally) the request JSON
const RECORD_EVENTS = new LuaScript(`
local n = tonumber(ARGV[2])
for i = 1, n do
  local a = 2 + (i - 1) * 4
  redis.call('SET', KEYS[2 * i], ARGV[a + 1], 'EX', ARGV[1])
  redis.call('SET', KEYS[2 * i + 1], ARGV[a + 2], 'EX', ARGV[1])
  redis.call('ZADD', KEYS[1], ARGV[a + 3], ARGV[a + 4])
end
if #KEYS > 2 * n + 1 then redis.call('SET', KEYS[2 * n + 2], ARGV[3 + 4 * n], 'EX', ARGV[1]) end`)

// KEYS: delivery, pending, delivered, dead index, event · ARGV: JSON, TTL s, index (1-3), created ms, ID, drop event (0/1)
const PUT_DELIVERY = new LuaScript(`
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
redis.call('ZREM', KEYS[2], ARGV[5])
redis.call('ZREM', KEYS[3], ARGV[5])
redis.call('ZREM', KEYS[4], ARGV[5])
redis.call('ZADD', KEYS[1 + tonumber(ARGV[3])], ARGV[4], ARGV[5])
if ARGV[6] == '1' then redis.call('DEL', KEYS[5]) end`)

async function guard<T> (operation: Promise<T>): Promise<T> {
  try {
    return await operation
  } catch (err) {
    throw new StoreUnavailableError(err)
  }
}

const parse = <T>(json: string | null): T | null => (json === null ? null : JSON.parse(json) as T)

export class RedisStore implements Store {
  readonly kind = 'redis' as const

  constructor (readonly redis: Redis, private readonly prefix: string) {}

  #key (kind: string, id: string): string { return `${this.prefix}${kind}:${id}` }
  /** one sorted set per delivery status, scored by creation time: lists, metrics and the sweep read these */
  #index (status: DeliveryStatus): string { return `${this.prefix}deliveries:${status}` }

  async ping (): Promise<number> {
    const started = performance.now()
    await guard(this.redis.ping())
    return performance.now() - started
  }

  async createSession (session: SessionRecord, ttlSeconds: number): Promise<void> {
    await guard(CREATE_SESSION.run(this.redis, [this.#key('session', session.id), this.#expiries],
      [JSON.stringify(session), ttlSeconds, Date.parse(session.expires_at), session.flow ? `${session.flow}:${session.id}` : '']))
  }

  async chooseFlow (id: string, flow: FlowName, configId: string): Promise<ChooseFlowResult> {
    // a lost compare-and-set means another choice landed: the next read sees its flow
    for (let attempt = 0; attempt < 5; attempt++) {
      const raw = await guard(this.redis.get(this.#key('session', id)))
      if (raw === null) return { status: 'missing' }
      const session = JSON.parse(raw) as SessionRecord
      if (isChosen(session)) return { status: 'already_chosen', session }
      const chosen: ChosenSession = { ...session, flow, config_id: configId }
      const swapped = await guard(CHOOSE_FLOW.run(this.redis, [this.#key('session', id), this.#expiries],
        [raw, JSON.stringify(chosen), Date.parse(session.expires_at), `${flow}:${id}`]))
      if (swapped === 1) return { status: 'chosen', session: chosen }
    }
    throw new StoreUnavailableError(new Error('the session kept changing while its flow was being chosen'))
  }

  /** pending sessions by expiry, as `flow:id`: an outcome removes its session, the sweep the expired ones */
  get #expiries (): string { return `${this.prefix}sessions:expiries` }

  async takeExpiredSessions (now: number, limit: number): Promise<FlowName[]> {
    const members = await guard(this.redis.zrangebyscore(this.#expiries, '-inf', now, 'LIMIT', 0, limit))
    const flows: FlowName[] = []
    for (const member of members) {
      // ZREM answers 1 to one caller only: each expiry is counted once, whichever instance sweeps
      if (await guard(this.redis.zrem(this.#expiries, member)) === 1) flows.push(member.split(':')[0] as FlowName)
    }
    return flows
  }

  async getSession (id: string): Promise<SessionRecord | null> {
    return parse(await guard(this.redis.get(this.#key('session', id))))
  }

  async putLoginState (stateHash: string, state: LoginState, ttlSeconds: number): Promise<void> {
    await guard(this.redis.set(this.#key('state', stateHash), JSON.stringify(state), 'EX', ttlSeconds))
  }

  async takeLoginState (stateHash: string, nonceHash: string): Promise<TakeLoginStateResult> {
    const result = await guard(TAKE_STATE.run(this.redis, [this.#key('state', stateHash)], [nonceHash])) as string | number
    if (result === 0) return { status: 'missing' }
    if (result === -1) return { status: 'browser_mismatch' }
    return { status: 'ok', state: JSON.parse(result as string) as LoginState }
  }

  async claimSession (id: string, ttlMs: number): Promise<{ claimed: false } | { claimed: true; session: SessionRecord | null }> {
    const result = await guard(CLAIM_SESSION.run(this.redis, [this.#key('claim', id), this.#key('session', id)], [ttlMs])) as string | null
    if (result === null) return { claimed: false }
    return { claimed: true, session: result === '' ? null : JSON.parse(result) as SessionRecord }
  }

  async releaseSession (id: string): Promise<void> {
    await guard(this.redis.del(this.#key('claim', id)))
  }

  async putSealedToken (sessionId: string, sealed: string, ttlSeconds: number): Promise<void> {
    await guard(this.redis.set(this.#key('token', sessionId), sealed, 'EX', ttlSeconds))
  }

  async recordOutcome ({ session, delivery, sealedEvent, retentionSeconds }: OutcomeWrite): Promise<void> {
    await guard(RECORD_OUTCOME.run(this.redis, [
      this.#key('session', session.id), this.#key('delivery', delivery.id), this.#key('event', delivery.id),
      this.#index(delivery.status), this.#key('token', session.id), this.#key('claim', session.id), this.#expiries
    ], [
      JSON.stringify(session), JSON.stringify(delivery), sealedEvent, retentionSeconds,
      Date.parse(delivery.created_at), delivery.id, `${session.flow}:${session.id}`
    ]))
  }

  async recordEvents ({ events, retentionSeconds, dataDeletion }: EventsWrite): Promise<void> {
    const keys = [this.#index('pending')]
    const args: Array<string | number> = [retentionSeconds, events.length]
    for (const { delivery, sealedEvent } of events) {
      keys.push(this.#key('delivery', delivery.id), this.#key('event', delivery.id))
      args.push(JSON.stringify(delivery), sealedEvent, Date.parse(delivery.created_at), delivery.id)
    }
    if (dataDeletion) {
      keys.push(this.#key('data-deletion', dataDeletion.confirmation_code))
      args.push(JSON.stringify(dataDeletion))
    }
    await guard(RECORD_EVENTS.run(this.redis, keys, args))
  }

  async getDataDeletion (code: string): Promise<DataDeletionRecord | null> {
    return parse(await guard(this.redis.get(this.#key('data-deletion', code))))
  }

  async putDataDeletion (record: DataDeletionRecord, ttlSeconds: number): Promise<void> {
    await guard(this.redis.set(this.#key('data-deletion', record.confirmation_code), JSON.stringify(record), 'EX', ttlSeconds))
  }

  async getDeliveryWithEvent (id: string): Promise<{ delivery: DeliveryRecord | null; sealedEvent: string | null }> {
    const [delivery, sealedEvent] = await guard(this.redis.mget(this.#key('delivery', id), this.#key('event', id)))
    return { delivery: parse(delivery ?? null), sealedEvent: sealedEvent ?? null }
  }

  async getDelivery (id: string): Promise<DeliveryRecord | null> {
    return parse(await guard(this.redis.get(this.#key('delivery', id))))
  }

  async putDelivery (delivery: DeliveryRecord, ttlSeconds: number, options: { dropEvent?: boolean } = {}): Promise<void> {
    await guard(PUT_DELIVERY.run(this.redis, [
      this.#key('delivery', delivery.id), ...STATUSES.map((status) => this.#index(status)), this.#key('event', delivery.id)
    ], [
      JSON.stringify(delivery), ttlSeconds, STATUSES.indexOf(delivery.status) + 1, Date.parse(delivery.created_at), delivery.id, options.dropEvent ? '1' : '0'
    ]))
  }

  async listDeliveries (status: DeliveryStatus, limit: number, after?: DeliveryCursor) {
    const found: DeliveryCursor[] = []
    const min = after ? String(after.createdAt) : '-inf'
    // members with the same score come back in ID order, so a page resumes after (createdAt, id)
    for (let offset = 0; found.length <= limit;) {
      const batch = await guard(this.redis.zrangebyscore(this.#index(status), min, '+inf', 'WITHSCORES', 'LIMIT', offset, limit + 1))
      for (let i = 0; i < batch.length; i += 2) {
        const cursor = { id: batch[i]!, createdAt: Number(batch[i + 1]) }
        if (after && cursor.createdAt === after.createdAt && cursor.id <= after.id) continue
        found.push(cursor)
      }
      if (batch.length < 2 * (limit + 1)) break
      offset += limit + 1
    }
    const page = found.slice(0, limit)
    const records = page.length > 0 ? await guard(this.redis.mget(page.map((c) => this.#key('delivery', c.id)))) : []
    return {
      items: records.filter((r): r is string => r !== null).map((r) => JSON.parse(r) as DeliveryRecord),
      next: found.length > limit ? page[page.length - 1]! : null
    }
  }

  async deliveryStats () {
    const results = await guard(this.redis.multi()
      .zcard(this.#index('pending'))
      .zcard(this.#index('dead'))
      .zrange(this.#index('pending'), 0, 0, 'WITHSCORES')
      .exec())
    if (!results || results.some(([err]) => err)) throw new StoreUnavailableError()
    const oldest = results[2]![1] as string[]
    return {
      pending: results[0]![1] as number,
      dead: results[1]![1] as number,
      oldestPendingCreatedAt: oldest.length === 2 ? Number(oldest[1]) : null
    }
  }

  async trimDeliveryIndexes (olderThan: number): Promise<void> {
    await guard(this.redis.multi()
      .zremrangebyscore(this.#index('delivered'), '-inf', olderThan)
      .zremrangebyscore(this.#index('dead'), '-inf', olderThan)
      .exec())
  }

  async close (): Promise<void> {}
}
