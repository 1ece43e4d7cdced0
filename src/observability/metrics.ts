// The Prometheus families the service exports (README, "Operating it"). One registry per app instance, so tests
// that build several apps never collide. Label values are bounded: route patterns, flow names, error codes —
// never an ID or URL. A leaf module: it imports nothing of the service.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'

/** what the queue gauges read: the same shape as the delivery store's statistics */
interface QueueStats { pending: number; dead: number; oldestPendingCreatedAt: number | null }

/**
 * How long a scrape waits for the store's PING before it reads the store as not ready: a PING slower than a
 * second is a Redis in trouble, and a scrape must end well within Prometheus' scrape timeout whatever Redis does.
 */
export const STORE_PING_TIMEOUT_MS = 1000

/** whether `ping` resolves within `ms`: a rejection, a throw or the bound coming first are all "no" */
async function answersWithin (ping: (() => Promise<unknown>) | undefined, ms: number): Promise<boolean> {
  if (!ping) return false
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<false>((resolve) => { timer = setTimeout(resolve, ms, false) })
  try {
    return await Promise.race([Promise.resolve().then(ping).then(() => true, () => false), late])
  } finally {
    clearTimeout(timer)
  }
}

export function createMetrics (now: () => number = Date.now) {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry })
  // the three queue gauges are collected together: they share one read of the store
  const queue: { source?: () => Promise<QueueStats> } = {}
  let inFlight: Promise<QueueStats | null> | undefined
  const queueStats = () => {
    if (!queue.source) return Promise.resolve(null)
    inFlight ??= queue.source().catch(() => null).finally(() => { inFlight = undefined })
    return inFlight
  }
  /** a gauge read from the queue statistics at each scrape; left as it was when the store does not answer */
  const queueGauge = (name: string, help: string, value: (s: QueueStats) => number) => new Gauge({
    name,
    help,
    registers: [registry],
    async collect () {
      const s = await queueStats()
      if (s) this.set(value(s))
    }
  })
  const processing: { source?: () => Promise<number> } = {}
  const store: { source?: () => Promise<unknown> } = {}
  return {
    /** set once the store exists: where the queue gauges read their values */
    queue,
    /** set once the store exists: how many sessions are processing */
    processing,
    /** set once the store exists: what the readiness gauge pings at each scrape */
    store,
    registry,
    httpRequests: new Counter({
      name: 'http_requests_total',
      help: 'HTTP requests answered, by route pattern and status',
      labelNames: ['method', 'route', 'status'] as const,
      registers: [registry]
    }),
    httpDuration: new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP request duration, by route pattern and status',
      labelNames: ['method', 'route', 'status'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry]
    }),
    sessions: new Counter({
      name: 'onboarding_sessions_total',
      help: 'Onboarding sessions by flow and outcome (created, processing, completed, failed, expired)',
      labelNames: ['flow', 'outcome', 'error'] as const,
      registers: [registry]
    }),
    // the flow chooser: `offered` (flow empty) per session created without a flow, `chosen` per flow
    // the admin picked; offered minus chosen is how many admins left the chooser without choosing
    flowChoices: new Counter({
      name: 'onboarding_flow_choices_total',
      help: 'Sessions that let the admin choose the flow (offered) and the flows admins chose (chosen)',
      labelNames: ['outcome', 'flow'] as const,
      registers: [registry]
    }),
    metaDuration: new Histogram({
      name: 'meta_request_duration_seconds',
      help: 'Duration of calls to Meta, by endpoint and HTTP status (or timeout/network)',
      labelNames: ['endpoint', 'status'] as const,
      buckets: [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry]
    }),
    processingSessions: new Gauge({
      name: 'onboarding_processing_sessions',
      help: 'Sessions now processing: their token is held and the steps after the exchange are attempted again',
      registers: [registry],
      async collect () {
        const count = await processing.source?.().catch(() => null)
        if (typeof count === 'number') this.set(count)
      }
    }),
    // /readyz's store check as a number an alert can watch, bounded: asked afresh at every scrape (never a value
    // left from an earlier one), so an instance that cannot reach Redis reads 0 while the others may read 1
    storeReady: new Gauge({
      name: 'onboarding_store_ready',
      help: `1 when the store (Redis) answered a PING within ${STORE_PING_TIMEOUT_MS} ms at this scrape, 0 when it did not; always 1 with the in-process store`,
      registers: [registry],
      async collect () {
        this.set(await answersWithin(store.source, STORE_PING_TIMEOUT_MS) ? 1 : 0)
      }
    }),
    // what follows a completed onboarding: provisioned, token_expiring, token_expired, revoked
    sessionEvents: new Counter({
      name: 'onboarding_events_total',
      help: 'Events that follow a completed onboarding, by type',
      labelNames: ['type'] as const,
      registers: [registry]
    }),
    webhookAttempts: new Counter({
      name: 'webhook_attempts_total',
      help: 'Webhook delivery attempts by outcome',
      labelNames: ['outcome'] as const,
      registers: [registry]
    }),
    webhookQueueDepth: queueGauge('webhook_queue_depth', 'Webhook deliveries waiting to be sent (pending)', (s) => s.pending),
    webhookOldestPending: queueGauge('webhook_oldest_pending_seconds', 'Age of the oldest pending webhook delivery',
      (s) => s.oldestPendingCreatedAt === null ? 0 : Math.max(0, (now() - s.oldestPendingCreatedAt) / 1000)),
    webhookDeadLetters: queueGauge('webhook_dead_letters', 'Webhook deliveries dead-lettered and not yet redelivered', (s) => s.dead)
  }
}

export type Metrics = ReturnType<typeof createMetrics>
