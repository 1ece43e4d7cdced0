// One durable queue of the service: BullMQ on the store's Redis, or in-process timers without one. With a Redis
// that answers, the queue is returned once its worker is connected (bounded), so /readyz says ready only when
// this instance also works the queue.
import type { FastifyBaseLogger } from 'fastify'
import type { RedisConnection } from '../store/redis/redis-client.js'
import { BullJobQueue } from './bullmq-job-queue.js'
import { InProcessJobQueue, type JobQueue, type NextStep } from './job-queue.js'

export interface JobQueueSpec {
  name: string
  redis: RedisConnection | null | undefined
  keyPrefix: string
  attempt: (id: string) => Promise<NextStep>
  log: FastifyBaseLogger
  /** longer than any attempt takes: an attempt outlives its lock only if its instance died */
  lockDurationMs: number
  concurrency: number
}

const READY_WITHIN_MS = 3000

export async function createJobQueue ({ name, redis, keyPrefix, attempt, log, lockDurationMs, concurrency }: JobQueueSpec): Promise<JobQueue> {
  if (!redis) return new InProcessJobQueue(attempt, log, concurrency)
  // on a cluster, BullMQ's keys of a queue must share a hash slot: its documentation's way is a prefix in braces
  const prefix = redis.isCluster ? `{${keyPrefix}bull}` : `${keyPrefix}bull`
  const queue = new BullJobQueue({ name, redis, prefix, attempt, log, lockDurationMs, concurrency })
  if (redis.status === 'ready') await queue.ready(READY_WITHIN_MS)
  return queue
}
