// The Prometheus registry of this app instance, for the request log, the Meta client and the deliverer.
import fp from 'fastify-plugin'
import { createMetrics, type Metrics } from '../observability/metrics.js'

declare module 'fastify' {
  interface FastifyInstance { metrics: Metrics }
}

export default fp<{ now: () => number }>(async function metrics (app, { now }) {
  app.decorate('metrics', createMetrics(now))
}, { name: 'metrics' })
