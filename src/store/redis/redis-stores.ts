// The Redis stores, all on one client and one key prefix; on a Redis Cluster, in the cluster layout (RedisKeys).
import type { Stores } from '../stores.js'
import type { RedisConnection } from './redis-client.js'
import { RedisKeys, guard } from './redis-common.js'
import { RedisDataDeletionStore } from './redis-data-deletion-store.js'
import { RedisDeliveryStore } from './redis-delivery-store.js'
import { RedisOutboxStore } from './redis-outbox-store.js'
import { RedisSessionStore } from './redis-session-store.js'

export function redisStores (redis: RedisConnection, prefix: string): Stores {
  const keys = new RedisKeys(prefix, redis.isCluster ? 'cluster' : 'single')
  return {
    kind: 'redis',
    sessions: new RedisSessionStore(redis, keys),
    deliveries: new RedisDeliveryStore(redis, keys),
    dataDeletions: new RedisDataDeletionStore(redis, keys),
    outbox: new RedisOutboxStore(redis, keys),
    async ping () {
      const started = performance.now()
      await guard(redis.ping())
      return performance.now() - started
    },
    // the client belongs to whoever made it: store-plugin.ts closes the one it made itself
    async close () {}
  }
}
