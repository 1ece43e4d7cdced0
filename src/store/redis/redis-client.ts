// ioredis with fail-fast settings, for each of the three topologies (SPEC §9): one server, a Redis Cluster
// (ioredis's Cluster: it follows the slot map and its redirections) or a master found through Sentinels (ioredis
// asks them for the master, and again after a failover). ioredis's defaults queue commands while disconnected and
// retry them 20 times, which would hang requests during an outage; here a command fails within about two seconds
// instead, and the client keeps reconnecting in the background so the service recovers by itself.
import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis'
import type { RedisTopology } from '../../config/redis-topology.js'
import { settleWithin } from '../../lib/settle-within.js'

/** what the stores, the queues and the rate limits are given: either client has the same commands */
export type RedisConnection = Redis | Cluster

const FAIL_FAST = {
  connectTimeout: 2000,
  commandTimeout: 2000,
  maxRetriesPerRequest: 1,
  retryStrategy: (attempt: number) => Math.min(attempt * 200, 2000)
} satisfies RedisOptions

export function createRedisClient (topology: RedisTopology, connectionName = 'messenger-onboarding'): RedisConnection {
  if (topology.kind === 'standalone') {
    return new Redis(topology.url, { connectionName, ...FAIL_FAST, enableOfflineQueue: false, lazyConnect: true })
  }
  const dataNodes: RedisOptions = {
    connectionName,
    ...FAIL_FAST,
    ...(topology.username !== undefined ? { username: topology.username } : {}),
    ...(topology.password !== undefined ? { password: topology.password } : {}),
    // a private CA is trusted the Node way (NODE_EXTRA_CA_CERTS), so no TLS option beyond turning it on
    ...(topology.tls ? { tls: {} } : {})
  }
  if (topology.kind === 'sentinel') {
    return new Redis({
      ...dataNodes,
      sentinels: topology.sentinels,
      name: topology.master,
      ...(topology.sentinelPassword !== undefined ? { sentinelPassword: topology.sentinelPassword } : {}),
      ...(topology.tls ? { enableTLSForSentinelMode: true, sentinelTLS: {} } : {}),
      // Not ioredis's failoverDetector: its +switch-master, arriving after the client has already found the new
      // master, closes that fresh connection for good ("connecting -> end" under load, seen in
      // test/topologies/sentinel.test.ts). A master that dies closes the connection, and the reconnection asks
      // the sentinels again; a master demoted while alive answers writes with READONLY, which reconnects too.
      reconnectOnError: (err: Error) => err.message.startsWith('READONLY') ? 2 : false,
      // a sentinel that does not answer is skipped within the connect timeout, then the next one is asked
      sentinelRetryStrategy: (attempt: number) => Math.min(attempt * 200, 2000),
      enableOfflineQueue: false,
      lazyConnect: true
    })
  }
  const options: ClusterOptions = {
    redisOptions: dataNodes,
    enableOfflineQueue: false,
    lazyConnect: true,
    clusterRetryStrategy: (attempt: number) => Math.min(attempt * 200, 2000),
    slotsRefreshTimeout: 2000,
    // writes and the reads that decide (a state, a claim) go to masters: a replica may lag
    scaleReads: 'master'
  }
  return new Cluster(topology.nodes, options)
}

/**
 * A connection of the same Redis for work that blocks and must wait through an outage rather than fail fast
 * (BullMQ's workers): commands queue while disconnected and are retried without limit.
 */
export function patientDuplicate (redis: RedisConnection): RedisConnection {
  const patient = { maxRetriesPerRequest: null, enableOfflineQueue: true, commandTimeout: undefined, lazyConnect: false }
  if (redis instanceof Cluster) {
    return redis.duplicate(undefined, { redisOptions: { ...redis.options.redisOptions, ...patient }, enableOfflineQueue: true, lazyConnect: false })
  }
  return redis.duplicate(patient)
}

/** Connects, waiting at most `timeoutMs`; a Redis that is down at start-up is not fatal (readyz says so). */
export async function connectRedis (redis: RedisConnection, timeoutMs = 3000): Promise<boolean> {
  if (redis.status === 'ready') return true
  let connected = false
  await settleWithin(redis.connect().then(() => { connected = true }), timeoutMs)
  return connected
}

/** quit() waits for pending replies; an outage must not block shutdown, so it is bounded. */
export async function closeRedis (redis: RedisConnection, timeoutMs = 1000): Promise<void> {
  await settleWithin(redis.quit(), timeoutMs)
  redis.disconnect()
}
