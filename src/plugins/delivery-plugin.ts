// The delivery machinery: the outbox every event enters by, the first attempt made by this instance, retries on
// BullMQ (or in-process timers without Redis), the sweep that queues what an instance left behind, and the
// partner API's view of deliveries. The close order lives here: nothing new is queued, attempts in flight end
// (bounded), and only then does the store close (store-plugin.ts, registered before this one, closes after it).
import fp from 'fastify-plugin'
import type { Dispatcher } from 'undici'
import type { Config } from '../config/config.js'
import { Outbox } from '../outbox/outbox.js'
import { Deliverer } from '../webhooks/deliverer.js'
import { Deliveries } from '../webhooks/deliveries.js'
import type { JobQueue } from '../jobs/job-queue.js'
import { createJobQueue } from '../jobs/job-queues.js'
import { FirstAttemptQueue } from '../webhooks/first-attempt-queue.js'
import { OutboxSweep } from '../webhooks/outbox-sweep.js'
import { WebhookSender } from '../webhooks/webhook-sender.js'
import { WebhookSigner } from '../webhooks/signer.js'

declare module 'fastify' {
  interface FastifyInstance {
    delivery: {
      outbox: Outbox
      deliveries: Deliveries
      /** whether this instance is delivering: what /readyz reports */
      health: JobQueue['health']
    }
  }
}

export interface DeliveryPluginOptions {
  config: Pick<Config, 'webhook' | 'retentionSeconds'>
  keyPrefix: string
  dispatcher?: Dispatcher | undefined
  now: () => number
  /** concurrent webhook attempts of this instance: first attempts and queued ones together */
  concurrency?: number | undefined
  /** how long close() waits for attempts in flight; default WEBHOOK_TIMEOUT_MS */
  drainTimeoutMs?: number | undefined
  /** how often the sweep runs, and how old a pending delivery must be before it is queued again */
  sweepIntervalMs?: number | undefined
  sweepMinAgeMs?: number | undefined
}

// A delivery left without a job by an instance that died is queued again by the sweep within
// WEBHOOK_TIMEOUT_MS + margin + interval = the timeout + 15 s (the contract allows the timeout + 30 s).
const SWEEP_INTERVAL_MS = 10_000
const SWEEP_MARGIN_MS = 5000
const DEFAULT_CONCURRENCY = 32

export default fp<DeliveryPluginOptions>(async function delivery (app, o) {
  const { config, now } = o
  const { stores, redis, sealer, metrics } = app
  const sender = new WebhookSender({
    url: config.webhook.url,
    timeoutMs: config.webhook.timeoutMs,
    signer: new WebhookSigner(config.webhook.secrets),
    dispatcher: o.dispatcher,
    now
  })
  const deliverer = new Deliverer({
    store: stores.deliveries,
    sealer,
    sender,
    metrics,
    now,
    log: app.log,
    retryScheduleMs: config.webhook.retryScheduleMs,
    retentionSeconds: config.retentionSeconds
  })
  const attempt = (eventId: string) => deliverer.attempt(eventId)
  const concurrency = o.concurrency ?? DEFAULT_CONCURRENCY
  const retries = await createJobQueue({ name: 'webhooks', redis, keyPrefix: o.keyPrefix, attempt, log: app.log, lockDurationMs: config.webhook.timeoutMs + 5000, concurrency })
  const queue = new FirstAttemptQueue({ queue: retries, deliver: (d, body) => deliverer.deliver(d, body), log: app.log, maxInFlight: concurrency })
  const sweep = new OutboxSweep({
    deliveries: stores.deliveries,
    sessions: stores.sessions,
    queue,
    log: app.log,
    retentionSeconds: config.retentionSeconds,
    intervalMs: o.sweepIntervalMs ?? SWEEP_INTERVAL_MS,
    // older than any first attempt still in flight (see first-attempt-queue.ts)
    minAgeMs: o.sweepMinAgeMs ?? config.webhook.timeoutMs + SWEEP_MARGIN_MS,
    now,
    onExpired: (flow) => metrics.sessions.inc({ flow, outcome: 'expired', error: '' })
  })
  metrics.queue.source = () => stores.deliveries.deliveryStats()

  app.decorate('delivery', {
    outbox: new Outbox({ store: stores.outbox, sealer, attempts: queue, retentionSeconds: config.retentionSeconds, now }),
    deliveries: new Deliveries(stores.deliveries, queue, config.retentionSeconds, now),
    health: () => queue.health()
  })
  app.addHook('onReady', async () => { sweep.start() })
  app.addHook('onClose', async () => {
    await sweep.stop()
    await queue.close(o.drainTimeoutMs ?? config.webhook.timeoutMs)
    app.log.info('webhook attempts drained')
  })
}, { name: 'delivery', dependencies: ['store', 'metrics'] })
