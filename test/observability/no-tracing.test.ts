// No OTLP endpoint, no tracing set up at all (SPEC §9): a full onboarding through the real process loads no
// OpenTelemetry SDK, instrumentation, exporter or loader hook, registers no global API, and leaves no trace of
// tracing anywhere (log lines, the webhook's headers, the records in Redis). The only OpenTelemetry module in the
// process is @opentelemetry/api, which prom-client (the metrics) requires for its exemplars and never registers.
// tracing.test.ts checks the same report with tracing on, so the report is known to see these modules.
import t from 'tap'
import { GRANTS, keyContent } from '../helper.js'
import { login, tracedService } from './traced-service.js'

t.test('without an endpoint nothing of OpenTelemetry is loaded, and nothing is traced', async (t) => {
  const s = await tracedService(t, { db: 7, otel: false, env: { READINESS_CHECKS: 'true' } })
  const { sessionId, status } = await login(s, 'business_portfolio', GRANTS.business_portfolio)
  t.equal(status, 303)
  await s.receiver.waitFor((e) => e.filter((x) => x.body.data.session_id === sessionId).length >= 2)
  const redis = s.redis
  const keys = await redis.keys('*')
  t.ok(keys.length > 0)
  const stored = (await Promise.all(keys.map((key) => keyContent(redis, key)))).join('\n')
  t.equal(await s.service.stop('SIGTERM'), 0)

  const modules = s.modules()
  const all = [...modules.cjs, ...modules.esm]
  t.ok(all.some((path) => path.includes('/node_modules/ioredis/')) && all.some((path) => path.includes('/src/app.ts')), 'the report sees the service\'s modules')
  const otel = all.filter((path) => /opentelemetry|-in-the-middle|bullmq-otel|@fastify\/otel|\/observability\/otel\//.test(path))
  t.same(otel.filter((path) => !path.includes('/node_modules/@opentelemetry/api/')), [], 'no SDK, instrumentation, exporter or loader hook')
  t.same(modules.otelGlobals, [], 'no global tracer provider, context manager or propagator')

  t.notOk(s.receiver.events.some((e) => 'traceparent' in e.headers), 'no traceparent on the webhooks')
  t.notMatch(stored, /traceparent/, 'no traceparent in any record')
  t.notMatch(s.service.output(), /"trace_id"/, 'no trace_id in the log lines')
})
