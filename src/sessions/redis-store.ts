// The Redis store. Every call fails fast (see redis-client.ts) and a failure surfaces as
// StoreUnavailableError, which routes answer with 503.
import type { Redis } from 'ioredis'
import { StoreUnavailableError } from '../problems.js'
import type {
  DeliveryRecord, LoginState, OutcomeWrite, SessionRecord, Store, TakeLoginStateResult
} from './records.js'

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

  constructor (readonly redis: Redis, private readonly prefix = 'mo:') {}

  #key (kind: string, id: string): string { return `${this.prefix}${kind}:${id}` }

  async ping (): Promise<number> {
    const started = performance.now()
    await guard(this.redis.ping())
    return performance.now() - started
  }

  async createSession (session: SessionRecord, ttlSeconds: number): Promise<void> {
    await guard(this.redis.set(this.#key('session', session.id), JSON.stringify(session), 'EX', ttlSeconds))
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
      .del(this.#key('token', session.id))
      .del(this.#key('claim', session.id))
      .exec())
    const failed = results?.find(([err]) => err)
    if (!results || failed) throw new StoreUnavailableError(failed?.[0])
  }

  async getDelivery (id: string): Promise<DeliveryRecord | null> {
    return parse(await guard(this.redis.get(this.#key('delivery', id))))
  }

  async putDelivery (delivery: DeliveryRecord, ttlSeconds: number): Promise<void> {
    await guard(this.redis.set(this.#key('delivery', delivery.id), JSON.stringify(delivery), 'EX', ttlSeconds))
  }

  async getSealedEvent (eventId: string): Promise<string | null> {
    return await guard(this.redis.get(this.#key('event', eventId)))
  }

  async deleteSealedEvent (eventId: string): Promise<void> {
    await guard(this.redis.del(this.#key('event', eventId)))
  }

  async close (): Promise<void> {}
}
