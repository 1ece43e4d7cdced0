// The Redis store. Every call fails fast (see redis-client.ts) and a failure surfaces as
// StoreUnavailableError, which routes answer with 503.
import type { Redis } from 'ioredis'
import type { FlowName } from '../onboarding/flows.js'
import { StoreUnavailableError } from '../problems.js'
import type {
  DeliveryCursor, DeliveryRecord, DeliveryStatus, LoginState, OutcomeWrite, SessionRecord, Store, TakeLoginStateResult
} from './records.js'

const STATUSES: DeliveryStatus[] = ['pending', 'delivered', 'dead']

// Takes a login state only when the browser's nonce hash matches, in one atomic step: a wrong browser
// does not burn the state of the right one, and a second take finds nothing.
const TAKE_STATE = `
local v = redis.call('GET', KEYS[1])
if not v then return 0 end
if cjson.decode(v).nonce_hash ~= ARGV[1] then return -1 end
redis.call('DEL', KEYS[1])
return v`

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
    const results = await guard(this.redis.multi()
      .set(this.#key('session', session.id), JSON.stringify(session), 'EX', ttlSeconds)
      .zadd(this.#expiries, Date.parse(session.expires_at), `${session.flow}:${session.id}`)
      .exec())
    if (!results || results.some(([err]) => err)) throw new StoreUnavailableError()
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
    const result = await guard(this.redis.eval(TAKE_STATE, 1, this.#key('state', stateHash), nonceHash)) as string | number
    if (result === 0) return { status: 'missing' }
    if (result === -1) return { status: 'browser_mismatch' }
    return { status: 'ok', state: JSON.parse(result as string) as LoginState }
  }

  async claimSession (id: string, ttlMs: number): Promise<boolean> {
    return (await guard(this.redis.set(this.#key('claim', id), '1', 'PX', ttlMs, 'NX'))) === 'OK'
  }

  async releaseSession (id: string): Promise<void> {
    await guard(this.redis.del(this.#key('claim', id)))
  }

  async putSealedToken (sessionId: string, sealed: string, ttlSeconds: number): Promise<void> {
    await guard(this.redis.set(this.#key('token', sessionId), sealed, 'EX', ttlSeconds))
  }

  async getSealedToken (sessionId: string): Promise<string | null> {
    return await guard(this.redis.get(this.#key('token', sessionId)))
  }

  async recordOutcome ({ session, delivery, sealedEvent, retentionSeconds }: OutcomeWrite): Promise<void> {
    const results = await guard(this.redis.multi()
      .set(this.#key('session', session.id), JSON.stringify(session), 'EX', retentionSeconds)
      .set(this.#key('delivery', delivery.id), JSON.stringify(delivery), 'EX', retentionSeconds)
      .set(this.#key('event', delivery.id), sealedEvent, 'EX', retentionSeconds)
      .zadd(this.#index(delivery.status), Date.parse(delivery.created_at), delivery.id)
      .del(this.#key('token', session.id))
      .del(this.#key('claim', session.id))
      .zrem(this.#expiries, `${session.flow}:${session.id}`)
      .exec())
    const failed = results?.find(([err]) => err)
    if (!results || failed) throw new StoreUnavailableError(failed?.[0])
  }

  async getDelivery (id: string): Promise<DeliveryRecord | null> {
    return parse(await guard(this.redis.get(this.#key('delivery', id))))
  }

  async putDelivery (delivery: DeliveryRecord, ttlSeconds: number): Promise<void> {
    const multi = this.redis.multi().set(this.#key('delivery', delivery.id), JSON.stringify(delivery), 'EX', ttlSeconds)
    for (const status of STATUSES) if (status !== delivery.status) multi.zrem(this.#index(status), delivery.id)
    multi.zadd(this.#index(delivery.status), Date.parse(delivery.created_at), delivery.id)
    const results = await guard(multi.exec())
    if (!results || results.some(([err]) => err)) throw new StoreUnavailableError()
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

  async pendingDeliveryIds (limit: number, createdBefore: number): Promise<string[]> {
    return await guard(this.redis.zrangebyscore(this.#index('pending'), '-inf', `(${createdBefore}`, 'LIMIT', 0, limit))
  }

  async trimDeliveryIndexes (olderThan: number): Promise<void> {
    await guard(this.redis.multi()
      .zremrangebyscore(this.#index('delivered'), '-inf', olderThan)
      .zremrangebyscore(this.#index('dead'), '-inf', olderThan)
      .exec())
  }

  async getSealedEvent (eventId: string): Promise<string | null> {
    return await guard(this.redis.get(this.#key('event', eventId)))
  }

  async deleteSealedEvent (eventId: string): Promise<void> {
    await guard(this.redis.del(this.#key('event', eventId)))
  }

  async close (): Promise<void> {}
}
