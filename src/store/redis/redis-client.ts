// ioredis with fail-fast settings: its defaults queue commands while disconnected and retry them 20 times,
// which would hang requests during an outage. Here a command fails within about two seconds instead, and
// the client keeps reconnecting in the background so the service recovers by itself.
import { Redis } from 'ioredis'
import { settleWithin } from '../../lib/settle-within.js'

export function createRedisClient (url: string, connectionName = 'messenger-onboarding'): Redis {
  return new Redis(url, {
    connectionName,
    connectTimeout: 2000,
    commandTimeout: 2000,
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    lazyConnect: true,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2000)
  })
}

/** Connects, waiting at most `timeoutMs`; a Redis that is down at start-up is not fatal (readyz says so). */
export async function connectRedis (redis: Redis, timeoutMs = 3000): Promise<boolean> {
  if (redis.status === 'ready') return true
  let connected = false
  await settleWithin(redis.connect().then(() => { connected = true }), timeoutMs)
  return connected
}

/** quit() waits for pending replies; an outage must not block shutdown, so it is bounded. */
export async function closeRedis (redis: Redis, timeoutMs = 1000): Promise<void> {
  await settleWithin(redis.quit(), timeoutMs)
  redis.disconnect()
}
