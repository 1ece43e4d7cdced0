// The outbox's atomic writes in Redis, each one Lua script: all of it lands, or nothing does.
import type { Redis, Result } from 'ioredis'
import type { EventsWrite, OutboxStore, OutcomeWrite } from '../outbox-store.js'
import { businessEntry } from '../records.js'
import { defineCommands, expiryMember, guard, type RedisKeys } from './redis-common.js'

declare module 'ioredis' {
  interface RedisCommander<Context> {
    moRecordOutcome (numberOfKeys: number, ...keysAndArgs: Array<string | number>): Result<null, Context>
    moRecordEvents (numberOfKeys: number, ...keysAndArgs: Array<string | number>): Result<null, Context>
  }
}

const COMMANDS = {
  // KEYS: session, delivery, event, pending index, token, claim, expiries, processing index, then (a completed
  // session with a business) that business's sessions; the number of keys varies, so the caller passes it first
  // ARGV: session JSON, delivery JSON, sealed event, TTL s, created ms, delivery ID, expiries member, session ID,
  // then the completion ms, the session ID and the oldest completion the retention keeps (ms)
  moRecordOutcome: {
    lua: `
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[4])
redis.call('SET', KEYS[2], ARGV[2], 'EX', ARGV[4])
redis.call('SET', KEYS[3], ARGV[3], 'EX', ARGV[4])
redis.call('ZADD', KEYS[4], ARGV[5], ARGV[6])
redis.call('DEL', KEYS[5], KEYS[6])
redis.call('ZREM', KEYS[7], ARGV[7])
redis.call('ZREM', KEYS[8], ARGV[8])
if #KEYS > 8 then
  redis.call('ZADD', KEYS[9], ARGV[9], ARGV[10])
  redis.call('ZREMRANGEBYSCORE', KEYS[9], '-inf', '(' .. ARGV[11])
  redis.call('EXPIRE', KEYS[9], ARGV[4])
end`
  },
  // n deliveries and their sealed bodies, and optionally the data deletion request they report; the number of
  // keys varies with n, so no numberOfKeys is declared and the caller passes it first.
  // KEYS: pending index, then delivery and event of each, then (optionally) the data deletion request
  // ARGV: TTL s, n, then delivery JSON, sealed event, created ms, ID of each, then (optionally) the request JSON
  moRecordEvents: {
    lua: `
local n = tonumber(ARGV[2])
for i = 1, n do
  local a = 2 + (i - 1) * 4
  redis.call('SET', KEYS[2 * i], ARGV[a + 1], 'EX', ARGV[1])
  redis.call('SET', KEYS[2 * i + 1], ARGV[a + 2], 'EX', ARGV[1])
  redis.call('ZADD', KEYS[1], ARGV[a + 3], ARGV[a + 4])
end
if #KEYS > 2 * n + 1 then redis.call('SET', KEYS[2 * n + 2], ARGV[3 + 4 * n], 'EX', ARGV[1]) end`
  }
}

export class RedisOutboxStore implements OutboxStore {
  constructor (private readonly redis: Redis, private readonly keys: RedisKeys) {
    defineCommands(redis, COMMANDS)
  }

  async recordOutcome ({ session, delivery, sealedEvent, retentionSeconds }: OutcomeWrite): Promise<void> {
    const k = this.keys
    const keys = [k.session(session.id), k.delivery(delivery.id), k.event(delivery.id), k.index(delivery.status), k.token(session.id), k.claim(session.id), k.expiries, k.processing]
    const args: Array<string | number> = [JSON.stringify(session), JSON.stringify(delivery), sealedEvent, retentionSeconds, Date.parse(delivery.created_at), delivery.id,
      expiryMember(session.flow ?? '', session.id), session.id]
    const business = businessEntry(session)
    if (business) {
      keys.push(k.businessSessions(business.businessId))
      args.push(business.completedAt, session.id, business.completedAt - retentionSeconds * 1000)
    }
    await guard(this.redis.moRecordOutcome(keys.length, ...keys, ...args))
  }

  async recordEvents ({ events, retentionSeconds, dataDeletion }: EventsWrite): Promise<void> {
    const keys = [this.keys.index('pending')]
    const args: Array<string | number> = [retentionSeconds, events.length]
    for (const { delivery, sealedEvent } of events) {
      keys.push(this.keys.delivery(delivery.id), this.keys.event(delivery.id))
      args.push(JSON.stringify(delivery), sealedEvent, Date.parse(delivery.created_at), delivery.id)
    }
    if (dataDeletion) {
      keys.push(this.keys.dataDeletion(dataDeletion.confirmation_code))
      args.push(JSON.stringify(dataDeletion))
    }
    await guard(this.redis.moRecordEvents(keys.length, ...keys, ...args))
  }
}
