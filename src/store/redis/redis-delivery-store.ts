// Deliveries in Redis: each a JSON record beside its sealed body, and one sorted set per status.
import type { Result } from 'ioredis'
import { StoreUnavailableError } from '../../lib/problems.js'
import type { DeliveryStats, DeliveryStore } from '../delivery-store.js'
import type { DeliveryCursor, DeliveryRecord, DeliveryStatus } from '../records.js'
import type { RedisConnection } from './redis-client.js'
import { defineCommands, guard, inGroups, parse, type RedisKeys } from './redis-common.js'

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
  constructor (private readonly redis: RedisConnection, private readonly keys: RedisKeys) {
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
    const group = this.keys.groupOf(delivery.id)
    const [pending, delivered, dead] = STATUSES.map((status) => this.keys.index(status, group)) as [string, string, string]
    await guard(this.redis.moPutDelivery(this.keys.delivery(delivery.id), pending, delivered, dead, this.keys.event(delivery.id),
      JSON.stringify(delivery), ttlSeconds, STATUSES.indexOf(delivery.status) + 1, Date.parse(delivery.created_at), delivery.id, options.dropEvent ? '1' : '0'))
  }

  async listDeliveries (status: DeliveryStatus, limit: number, after?: DeliveryCursor) {
    const { items: page, next } = await this.listDeliveryIds(status, limit, after)
    // one MGET per group: on a cluster, a command's keys must share a hash slot
    const records = new Map<string, string>()
    await Promise.all(inGroups(page.map((c) => c.id), (id) => this.keys.groupOf(id)).map(async (ids) => {
      const found = await guard(this.redis.mget(ids.map((id) => this.keys.delivery(id))))
      ids.forEach((id, i) => { if (found[i]) records.set(id, found[i]) })
    }))
    return { items: page.flatMap((c) => records.has(c.id) ? [JSON.parse(records.get(c.id)!) as DeliveryRecord] : []), next }
  }

  /** a page of every group's index, in (createdAt, id) order, as one index would give it */
  async listDeliveryIds (status: DeliveryStatus, limit: number, after?: DeliveryCursor) {
    const groups = await Promise.all(this.keys.groups.map((group) => this.#after(this.keys.index(status, group), limit + 1, after)))
    const found = groups.length === 1 ? groups[0]! : groups.flat().sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    const page = found.slice(0, limit)
    return { items: page, next: found.length > limit ? page[page.length - 1]! : null }
  }

  /** up to `count` members of one index after the cursor */
  async #after (index: string, count: number, after?: DeliveryCursor): Promise<DeliveryCursor[]> {
    const found: DeliveryCursor[] = []
    const min = after ? String(after.createdAt) : '-inf'
    // members with the same score come back in ID order, so a page resumes after (createdAt, id)
    for (let offset = 0; found.length < count;) {
      const batch = await guard(this.redis.zrangebyscore(index, min, '+inf', 'WITHSCORES', 'LIMIT', offset, count))
      for (let i = 0; i < batch.length; i += 2) {
        const cursor = { id: batch[i]!, createdAt: Number(batch[i + 1]) }
        if (after && cursor.createdAt === after.createdAt && cursor.id <= after.id) continue
        found.push(cursor)
      }
      if (batch.length < 2 * count) break
      offset += count
    }
    return found.slice(0, count)
  }

  async deliveryStats (): Promise<DeliveryStats> {
    const stats: DeliveryStats = { pending: 0, dead: 0, oldestPendingCreatedAt: null }
    // one transaction per group, whose keys share its hash slot
    await Promise.all(this.keys.groups.map(async (group) => {
      const results = await guard(this.redis.multi()
        .zcard(this.keys.index('pending', group))
        .zcard(this.keys.index('dead', group))
        .zrange(this.keys.index('pending', group), 0, 0, 'WITHSCORES')
        .exec())
      if (!results || results.some(([err]) => err)) throw new StoreUnavailableError()
      const oldest = results[2]![1] as string[]
      stats.pending += results[0]![1] as number
      stats.dead += results[1]![1] as number
      if (oldest.length === 2) stats.oldestPendingCreatedAt = Math.min(stats.oldestPendingCreatedAt ?? Infinity, Number(oldest[1]))
    }))
    return stats
  }

  async trimDeliveryIndexes (olderThan: number): Promise<void> {
    await Promise.all(this.keys.groups.map((group) => guard(this.redis.multi()
      .zremrangebyscore(this.keys.index('delivered', group), '-inf', olderThan)
      .zremrangebyscore(this.keys.index('dead', group), '-inf', olderThan)
      .exec())))
  }
}
