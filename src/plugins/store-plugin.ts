// The stores and the Redis connection beneath them: a client of the caller's (tests; the app does not close it),
// one made from the configured topology (REDIS_URL, a cluster or sentinels; closed on close, bounded), or the
// in-process stores when none is configured. It also
// holds the sealer of what is kept at rest: tokens and event bodies are sealed before they reach a store.
import fp from 'fastify-plugin'
import type { Config } from '../config/config.js'
import { TokenSealer } from '../lib/token-sealer.js'
import { memoryStores } from '../store/memory/memory-stores.js'
import { closeRedis, connectRedis, createRedisClient, type RedisConnection } from '../store/redis/redis-client.js'
import { redisStores } from '../store/redis/redis-stores.js'
import type { Stores } from '../store/stores.js'

declare module 'fastify' {
  interface FastifyInstance {
    stores: Stores
    /** the stores' Redis, which BullMQ and the rate limits share; null with the in-process stores */
    redis: RedisConnection | null
    sealer: TokenSealer
  }
}

export interface StorePluginOptions {
  config: Pick<Config, 'redis' | 'tokenEncryptionKeys'>
  redis?: RedisConnection | undefined
  keyPrefix: string
}

export default fp<StorePluginOptions>(async function store (app, { config, redis: given, keyPrefix }) {
  app.decorate('sealer', new TokenSealer(config.tokenEncryptionKeys))
  if (given) {
    app.decorate<RedisConnection>('redis', given)
    app.decorate('stores', redisStores(given, keyPrefix))
    return
  }
  if (config.redis) {
    const redis = createRedisClient(config.redis)
    redis.on('error', (err) => app.log.warn({ err }, 'redis connection error'))
    if (!await connectRedis(redis)) app.log.error('Redis does not answer at start-up; /readyz reports 503 until it does')
    app.decorate<RedisConnection>('redis', redis)
    app.decorate('stores', redisStores(redis, keyPrefix))
    app.addHook('onClose', async () => {
      await closeRedis(redis)
      app.log.info('store closed')
    })
    return
  }
  app.log.warn('No Redis is configured (REDIS_URL, REDIS_CLUSTER_NODES or REDIS_SENTINELS): using the in-process store (single instance, nothing survives a restart)')
  const stores = memoryStores()
  app.decorate('redis', null)
  app.decorate('stores', stores)
  app.addHook('onClose', async () => {
    await stores.close()
    app.log.info('store closed')
  })
}, { name: 'store' })
