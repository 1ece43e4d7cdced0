// Deliveries in Redis: each a JSON record beside its sealed body, and one sorted set per status.
import type { Redis, Result } from 'ioredis'
import { StoreUnavailableError } from '../../lib/problems.js'
import type { DeliveryStats, DeliveryStore } from '../delivery-store.js'
import type { DeliveryCursor, DeliveryRecord, DeliveryStatus } from '../records.js'
import { defineCommands, guard, parse, type RedisKeys } from './redis-common.js'

const STATUSES: DeliveryStatus[] = ['pending', 'delivered', 'dead']

declare module 'ioredis' {
  interface RedisCommander<Context> {
    moPutDelivery (delivery: string, pending: string, delivered: string, dead: string, event: string,
      json: string, ttlSeconds: number, index: number, createdAtMs: number, id: string, dropEvent: '0' | '1'): Result<null, Context>
  }
}

const COMMANDS = {
  // KEYS: delivery, pending, delivered, dead index, event · ARGV: JSON, TTL s, index (1-3), created ms, ID, drop event (0/1)
  moPutDelivery: {
    numberOfKeys: 5,
    lua: `
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
redis.call('ZREM', KEYS[2], ARGV[5])
redis.call('ZREM', KEYS[3], ARGV[5])
redis.call('ZREM', KEYS[4], ARGV[5])
redis.call('ZADD', KEYS[1 + tonumber(ARGV[3])], ARGV[4], ARGV[5])
if ARGV[6] == '1' then redis.call('DEL', KEYS[5]) end`
  }
}

export class RedisDeliveryStore implements DeliveryStore {
  constructor (private readonly redis: Redis, private readonly keys: RedisKeys) {
    defineCommands(redis, COMMANDS)
  }

  async getDeliveryWithEvent (id: string): Promise<{ delivery: DeliveryRecord | null; sealedEvent: string | null }> {
    const [delivery, sealedEvent] = await guard(this.redis.mget(this.keys.delivery(id), this.keys.event(id)))
    return { delivery: parse(delivery), sealedEvent: sealedEvent ?? null }
  }

  async getDelivery (id: string): Promise<DeliveryRecord | null> {
    return parse(await guard(this.redis.get(this.keys.delivery(id))))
  }

  async putDelivery (delivery: DeliveryRecord, ttlSeconds: number, options: { dropEvent?: boolean } = {}): Promise<void> {
    const [pending, delivered, dead] = STATUSES.map((status) => this.keys.index(status)) as [string, string, string]
    await guard(this.redis.moPutDelivery(this.keys.delivery(delivery.id), pending, delivered, dead, this.keys.event(delivery.id),
      JSON.stringify(delivery), ttlSeconds, STATUSES.indexOf(delivery.status) + 1, Date.parse(delivery.created_at), delivery.id, options.dropEvent ? '1' : '0'))
  }

  async listDeliveries (status: DeliveryStatus, limit: number, after?: DeliveryCursor) {
    const { items: page, next } = await this.listDeliveryIds(status, limit, after)
    const records = page.length > 0 ? await guard(this.redis.mget(page.map((c) => this.keys.delivery(c.id)))) : []
    return { items: records.filter((r): r is string => r !== null).map((r) => JSON.parse(r) as DeliveryRecord), next }
  }

  async listDeliveryIds (status: DeliveryStatus, limit: number, after?: DeliveryCursor) {
    const found: DeliveryCursor[] = []
    const min = after ? String(after.createdAt) : '-inf'
    // members with the same score come back in ID order, so a page resumes after (createdAt, id)
    for (let offset = 0; found.length <= limit;) {
      const batch = await guard(this.redis.zrangebyscore(this.keys.index(status), min, '+inf', 'WITHSCORES', 'LIMIT', offset, limit + 1))
      for (let i = 0; i < batch.length; i += 2) {
        const cursor = { id: batch[i]!, createdAt: Number(batch[i + 1]) }
        if (after && cursor.createdAt === after.createdAt && cursor.id <= after.id) continue
        found.push(cursor)
      }
      if (batch.length < 2 * (limit + 1)) break
      offset += limit + 1
    }
    const page = found.slice(0, limit)
    return { items: page, next: found.length > limit ? page[page.length - 1]! : null }
  }

  async deliveryStats (): Promise<DeliveryStats> {
    const results = await guard(this.redis.multi()
      .zcard(this.keys.index('pending'))
      .zcard(this.keys.index('dead'))
      .zrange(this.keys.index('pending'), 0, 0, 'WITHSCORES')
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
      .zremrangebyscore(this.keys.index('delivered'), '-inf', olderThan)
      .zremrangebyscore(this.keys.index('dead'), '-inf', olderThan)
      .exec())
  }
}
