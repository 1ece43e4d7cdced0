// The Prometheus families the service exports (README, "Operating it"). One registry per app instance, so tests
// that build several apps never collide. Label values are bounded: route patterns, flow names, error codes —
// never an ID or URL. A leaf module: it imports nothing of the service.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'

/** what the queue gauges read: the same shape as the delivery store's statistics */
interface QueueStats { pending: number; dead: number; oldestPendingCreatedAt: number | null }

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
  return {
    /** set once the store exists: where the queue gauges read their values */
    queue,
    /** set once the store exists: how many sessions are processing */
    processing,
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
