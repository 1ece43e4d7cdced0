// Durable work scheduled by BullMQ on the service's Redis: one job per thing to do (a delivery, a session to
// finish), its ID the thing's ID, so adding it twice is harmless. Every instance runs a worker; BullMQ's job lock
// keeps two instances from making the same attempt, and its stalled-job check hands the attempt of an instance
// that died to another one. The schedule is the caller's: an attempt that must be retried moves its job to the
// delayed set.
import { DelayedError, Queue, Worker, type Job } from 'bullmq'
import type { FastifyBaseLogger } from 'fastify'
import { settleWithin } from '../lib/settle-within.js'
import { tracing } from '../observability/tracing.js'
import { patientDuplicate, type RedisConnection } from '../store/redis/redis-client.js'
import type { JobQueue, NextStep } from './job-queue.js'

export interface BullJobQueueOptions {
  /** the queue's name in Redis: one per kind of work */
  name: string
  /** the service's fail-fast client: adding a job on a request path must not hang */
  redis: RedisConnection
  prefix: string
  attempt: (id: string) => Promise<NextStep>
  log: FastifyBaseLogger
  /** longer than any attempt takes: an attempt outlives its lock only if its instance died */
  lockDurationMs: number
  concurrency: number
}

/** `eventId`: jobs of the webhooks queue written before the queue was generic */
interface JobData { id?: string; eventId?: string }

export class BullJobQueue implements JobQueue {
  readonly #queue: Queue<JobData>
  readonly #worker: Worker<JobData>
  /** the worker's connection and those BullMQ duplicates from it: all disconnected on close, whatever happens */
  readonly #connections: RedisConnection[] = []
  #closed = false

  constructor (private readonly o: BullJobQueueOptions) {
    this.#queue = new Queue<JobData>(o.name, {
      connection: o.redis,
      prefix: o.prefix,
      // with tracing on, a job's spans (add, process) join the trace that queued it; undefined = none
      telemetry: tracing().queueTelemetry,
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
    const connection = this.#track(patientDuplicate(o.redis))
    const duplicate = connection.duplicate.bind(connection) as (...args: unknown[]) => RedisConnection
    connection.duplicate = ((...args: unknown[]) => this.#track(duplicate(...args))) as typeof connection.duplicate
    this.#worker = new Worker<JobData>(o.name, async (job: Job<JobData>, token?: string) => {
      const step = await o.attempt(job.data.id ?? job.data.eventId ?? String(job.id))
      if (step.next === 'retry') {
        await job.moveToDelayed(Date.now() + step.delayMs, token)
        throw new DelayedError()
      }
    }, {
      connection,
      prefix: o.prefix,
      telemetry: tracing().queueTelemetry,
      concurrency: o.concurrency,
      // an attempt outlives its lock only if the instance died: then it is made again within
      // lockDuration + stalledInterval (for deliveries WEBHOOK_TIMEOUT_MS + 10 s; the contract allows + 30 s)
      lockDuration: o.lockDurationMs,
      stalledInterval: 5000,
      // a stalled attempt is an instance's death, not the delivery's: never give up on it for that
      maxStalledCount: Number.MAX_SAFE_INTEGER
    })
    this.#worker.on('error', (err) => o.log.warn({ err, queue: o.name }, 'job worker error'))
    this.#queue.on('error', (err) => o.log.warn({ err, queue: o.name }, 'job queue error'))
  }

  #track (client: RedisConnection): RedisConnection {
    client.on('error', () => {}) // reported through the worker's own 'error' event
    this.#connections.push(client)
    // a worker still closing may open one more connection: once closed, nothing may keep reconnecting
    if (this.#closed) client.disconnect()
    return client
  }

  async add (id: string, delayMs = 0): Promise<void> {
    await this.#queue.add(this.o.name, { id }, { jobId: id, delay: delayMs })
  }

  /** resolves once the worker is connected, or after `timeoutMs` (a Redis that is down is not fatal) */
  async ready (timeoutMs: number): Promise<void> {
    await settleWithin(this.#worker.waitUntilReady(), timeoutMs)
  }

  health () {
    if (!this.#worker.isRunning()) return { status: 'fail' as const, detail: `the BullMQ worker of ${this.o.name} is not running` }
    if (this.#connections[0]!.status !== 'ready') return { status: 'fail' as const, detail: `the BullMQ worker of ${this.o.name} is waiting for Redis` }
    return { status: 'ok' as const, detail: 'BullMQ worker running' }
  }

  async held (ids: readonly string[]): Promise<Set<string>> {
    if (ids.length === 0) return new Set()
    // a job is its hash (getJob reads it): EXISTS of each in one pipeline, one round trip for a sweep's page
    // instead of one read and one Job object per ID
    const answers = await this.o.redis.pipeline(ids.map((id) => ['exists', this.#queue.toKey(id)])).exec()
    if (!answers) throw new Error('the job queue did not answer')
    return new Set(ids.filter((_id, i) => {
      const [err, exists] = answers[i]!
      if (err) throw err
      return exists === 1
    }))
  }

  async close (timeoutMs: number): Promise<void> {
    // Attempts still running after the bound are abandoned: their lock expires and another instance (or
    // this one, restarted) makes them again. Every step is bounded: with Redis away, BullMQ's own close
    // would wait for a connection that is not coming back, so without Redis the worker closes at once.
    const connected = this.#connections[0]!.status === 'ready'
    const closed = await settleWithin(this.#worker.close(!connected), connected ? timeoutMs : 1000)
    // a close still waiting on Redis past the bound leaves BullMQ's lock-renewal and stalled-check timers
    // running, and they would keep the process alive: they are stopped here (the attempt's lock then expires,
    // as above). BullMQ has no public call for it, hence the guarded reach into the worker.
    if (!closed) stopWorkerTimers(this.#worker)
    this.#closed = true
    for (const client of this.#connections) client.disconnect()
    await settleWithin(this.#queue.close(), 1000)
  }
}

function stopWorkerTimers (worker: Worker): void {
  const internals = worker as unknown as { lockManager?: { close?: () => Promise<void> }; stalledCheckStopper?: () => void }
  internals.lockManager?.close?.().catch(() => {})
  internals.stalledCheckStopper?.()
}
