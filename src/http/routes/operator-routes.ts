// What the operator on call looks at: liveness, readiness with per-check detail, Prometheus metrics.
import type { FastifyPluginAsync } from 'fastify'
import type { Metrics } from '../../observability/metrics.js'
import type { Stores } from '../../store/stores.js'
import type { JobQueue } from '../../jobs/job-queue.js'

export interface OperatorRoutesOptions {
  store: Pick<Stores, 'kind' | 'ping'>
  /** the BullMQ workers of this instance, by the name /readyz shows */
  workers: Record<string, JobQueue['health']>
  metrics: Metrics
  isShuttingDown: () => boolean
}

const round = (ms: number): number => Math.round(ms * 100) / 100

export const operatorRoutes: FastifyPluginAsync<OperatorRoutesOptions> = async (app, { store, workers, metrics, isShuttingDown }) => {
  app.get('/healthz', async () => ({ status: 'ok' }))

  app.get('/readyz', async (_request, reply) => {
    let redis: Record<string, unknown>
    let ready = true
    if (store.kind === 'memory') {
      redis = { status: 'warn', detail: 'REDIS_URL is unset: in-process store, single instance, nothing survives a restart' }
    } else {
      try {
        redis = { status: 'ok', latency_ms: round(await store.ping()) }
      } catch {
        ready = false
        redis = { status: 'fail', detail: 'Redis does not answer' }
      }
    }
    const workerChecks = Object.fromEntries(Object.entries(workers).map(([name, health]) => [name, health()]))
    const shuttingDown = isShuttingDown()
    if (shuttingDown || Object.values(workerChecks).some((check) => check.status !== 'ok')) ready = false
    return reply.code(ready ? 200 : 503).header('cache-control', 'no-store').send({
      status: ready ? 'ok' : 'fail',
      checks: { redis, store: { kind: store.kind }, ...workerChecks, shutting_down: shuttingDown }
    })
  })

  app.get('/metrics', async (_request, reply) => {
    return reply.type(metrics.registry.contentType).send(await metrics.registry.metrics())
  })
}
