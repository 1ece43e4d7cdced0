// Delivery attempts scheduled by BullMQ on the service's Redis: one job per delivery, its ID the event ID, so
// adding it twice is harmless. Every instance runs a worker; BullMQ's job lock keeps two instances from making
// the same attempt, and its stalled-job check hands the attempt of an instance that died to another one.
// The retry schedule is the Deliverer's: an attempt that must be retried moves its job to the delayed set.
import { DelayedError, Queue, Worker, type Job } from 'bullmq'
import type { FastifyBaseLogger } from 'fastify'
import type { Redis } from 'ioredis'
import { settleWithin } from '../lib/settle-within.js'
import type { NextStep } from './deliverer.js'
import type { DeliveryQueue } from './delivery-queue.js'

const QUEUE = 'webhooks'

export interface BullDeliveryQueueOptions {
  /** the service's fail-fast client: adding a job on a request path must not hang */
  redis: Redis
  prefix: string
  attempt: (eventId: string) => Promise<NextStep>
  log: FastifyBaseLogger
  webhookTimeoutMs: number
  concurrency: number
}

interface JobData { eventId: string }

export class BullDeliveryQueue implements DeliveryQueue {
  readonly #queue: Queue<JobData>
  readonly #worker: Worker<JobData>
  /** the worker's connection and those BullMQ duplicates from it: all disconnected on close, whatever happens */
  readonly #connections: Redis[] = []

  constructor (o: BullDeliveryQueueOptions) {
    this.#queue = new Queue<JobData>(QUEUE, {
      connection: o.redis,
      prefix: o.prefix,
      skipWaitingForReady: true,
      defaultJobOptions: {
        removeOnComplete: true,
        // a failure here is the store or Redis failing, not the receiver: try again until it answers
        attempts: Number.MAX_SAFE_INTEGER,
        backoff: { type: 'fixed', delay: 5000 },
        removeOnFail: true
      }
    })
    // the worker blocks on Redis and must wait through an outage rather than fail fast
    const connection = this.#track(o.redis.duplicate({ maxRetriesPerRequest: null, enableOfflineQueue: true, commandTimeout: undefined, lazyConnect: false }))
    const duplicate = connection.duplicate.bind(connection)
    connection.duplicate = (override) => this.#track(duplicate(override))
    this.#worker = new Worker<JobData>(QUEUE, async (job: Job<JobData>, token?: string) => {
      const step = await o.attempt(job.data.eventId)
      if (step.next === 'retry') {
        await job.moveToDelayed(Date.now() + step.delayMs, token)
        throw new DelayedError()
      }
    }, {
      connection,
      prefix: o.prefix,
      concurrency: o.concurrency,
      // an attempt outlives its lock only if the instance died: then it is made again within
      // lockDuration + stalledInterval = WEBHOOK_TIMEOUT_MS + 10 s (the contract allows the timeout + 30 s)
      lockDuration: o.webhookTimeoutMs + 5000,
      stalledInterval: 5000,
      // a stalled attempt is an instance's death, not the delivery's: never give up on it for that
      maxStalledCount: Number.MAX_SAFE_INTEGER
    })
    this.#worker.on('error', (err) => o.log.warn({ err }, 'webhook worker error'))
    this.#queue.on('error', (err) => o.log.warn({ err }, 'webhook queue error'))
  }

  #track (client: Redis): Redis {
    client.on('error', () => {}) // reported through the worker's own 'error' event
    this.#connections.push(client)
    return client
  }

  async add (eventId: string, delayMs = 0): Promise<void> {
    await this.#queue.add('deliver', { eventId }, { jobId: eventId, delay: delayMs })
  }

  /** resolves once the worker is connected, or after `timeoutMs` (a Redis that is down is not fatal) */
  async ready (timeoutMs: number): Promise<void> {
    await settleWithin(this.#worker.waitUntilReady(), timeoutMs)
  }

  health () {
    if (!this.#worker.isRunning()) return { status: 'fail' as const, detail: 'the BullMQ worker is not running' }
    if (this.#connections[0]!.status !== 'ready') return { status: 'fail' as const, detail: 'the BullMQ worker is waiting for Redis' }
    return { status: 'ok' as const, detail: 'BullMQ worker running' }
  }

  async has (eventId: string): Promise<boolean> {
    return (await this.#queue.getJob(eventId)) !== undefined
  }

  async close (timeoutMs: number): Promise<void> {
    // Attempts still running after the bound are abandoned: their lock expires and another instance (or
    // this one, restarted) makes them again. Every step is bounded: with Redis away, BullMQ's own close
    // would wait for a connection that is not coming back, so without Redis the worker closes at once.
    const connected = this.#connections[0]!.status === 'ready'
    await settleWithin(this.#worker.close(!connected), connected ? timeoutMs : 1000)
    for (const client of this.#connections) client.disconnect()
    await settleWithin(this.#queue.close(), 1000)
  }
}
