// The service's tracing calls over the real SDK, started in this process as server.ts starts it (with an OTLP/JSON
// receiver on loopback as the collector): spans nest in the active context, links come from stored
// traceparents, a client span's headers carry its traceparent and keep the undici instrumentation off its call,
// failures are recorded without a stack, log fields follow the active span, BullMQ's polling roots are dropped,
// the export carries the configured headers and resource, and shutdown exports what is left.
import t from 'tap'
import { diag, trace } from '@opentelemetry/api'
import { request } from 'undici'
import { insideOwnCall } from '../../src/observability/otel/own-calls.js'
import { linkTo } from '../../src/observability/otel/otel-tracing.js'
import { startTracing } from '../../src/observability/otel/start-tracing.js'
import { tracing } from '../../src/observability/tracing.js'
import { SPAN_KIND } from '../../src/sandbox/otlp-spans.js'
import { OtlpReceiver } from './otlp-receiver.js'

t.test('the facade over the SDK, exported as a collector receives it', async (t) => {
  t.equal(tracing().on, false, 'off until started')
  t.same(tracing().logFields(), {})
  t.equal(await tracing().span('x', {}, async (span) => { span.set({ a: 1 }); span.fail('x'); return span.headers() }).then((h) => Object.keys(h).length), 0, 'off: the work runs as it is')

  const otlp = new OtlpReceiver()
  await otlp.start()
  t.teardown(() => otlp.close())
  const handle = await startTracing({
    endpoint: `${otlp.url}/v1/traces`,
    protocol: 'http/json',
    headers: { 'x-collector-key': 'collector-key-1' },
    exportTimeoutMs: 2000,
    serviceName: 'onboarding-unit',
    resourceAttributes: { 'deployment.environment': 'test' },
    sampler: 'parentbased_always_on',
    samplerRatio: 1,
    batch: { scheduleDelayMs: 20, exportTimeoutMs: 2000, maxQueueSize: 100, maxExportBatchSize: 50 }
  })
  t.equal(tracing().on, true)
  t.ok(tracing().fastifyPlugin, 'the server instrumentation\'s plugin')
  t.ok(tracing().queueTelemetry, 'BullMQ\'s telemetry')

  let inner: { headers: Record<string, string>; traceparent: string | undefined; fields: Record<string, string>; own: boolean } | undefined
  await tracing().span('outer', { attributes: { 'onboarding.session_id': 'ses_1' } }, async () => {
    t.equal(insideOwnCall(), false)
    await tracing().span('GET exchange', { kind: 'client', attributes: { 'meta.endpoint': 'exchange' } }, async (span) => {
      span.set({ 'http.response.status_code': 200 })
      inner = { headers: span.headers(), traceparent: tracing().traceparent(), fields: tracing().logFields(), own: insideOwnCall() }
      // the undici instrumentation leaves a call with its own span alone
      await (await request(`${otlp.url}/inside?client_secret=s`)).body.dump()
    })
    // any other call is traced by its path
    await (await request(`${otlp.url}/outside?client_secret=s`)).body.dump()
  })
  const decided = inner!.traceparent!
  t.match(decided, /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/)
  t.equal(inner!.headers.traceparent, decided, 'the headers carry the span\'s traceparent')
  t.equal(inner!.own, true)
  t.same(inner!.fields, { trace_id: decided.slice(3, 35), span_id: decided.slice(36, 52) })

  await tracing().span('POST webhook', { kind: 'client', links: [decided, 'not-a-traceparent', undefined, '00-00000000000000000000000000000000-0000000000000000-01'] }, async () => {})
  await t.rejects(tracing().span('failing', {}, async () => { throw Object.assign(new Error('token=EAAGsecret at https://x.example/?code=1'), { code: 'E_FAIL' }) }), /token=EAAGsecret/)
  await t.rejects(tracing().span('typed failure', {}, async (span) => { span.fail('timeout'); throw new Error('late') }))
  await t.rejects(tracing().span('not an error', {}, async () => { throw 'a string' })) // eslint-disable-line no-throw-literal
  const bullmq = trace.getTracer('bullmq')
  bullmq.startSpan('getNextJob webhooks').end()
  bullmq.startActiveSpan('process webhooks', (span) => { bullmq.startSpan('getNextJob webhooks').end(); span.end() })

  await handle.shutdown()
  const spans = await otlp.waitFor((all) => all.some((s) => s.name === 'process webhooks'), 5000)
  const named = (name: string) => spans.find((s) => s.name === name)!
  const outer = named('outer')
  const call = named('GET exchange')
  t.equal(call.parentSpanId, outer.spanId, 'a span is the child of the active one')
  t.equal(call.kind, SPAN_KIND.client)
  t.same(call.attributes, { 'meta.endpoint': 'exchange', 'http.response.status_code': 200 })
  t.equal(outer.kind, SPAN_KIND.internal)
  t.equal(`00-${call.traceId}-${call.spanId}-01`, decided)

  const http = spans.filter((s) => s.scope === '@opentelemetry/instrumentation-undici')
  t.same(http.map((s) => s.attributes['url.path']), ['/outside'], 'only the call without a span of its own')
  t.equal(http[0]!.attributes['url.full'], `${otlp.url}/outside`, 'without its query')
  t.notOk('url.query' in http[0]!.attributes)
  t.equal(http[0]!.parentSpanId, outer.spanId)

  t.same(named('POST webhook').links, [{ traceId: call.traceId, spanId: call.spanId }], 'one link, from the one valid traceparent')
  const failing = named('failing')
  t.equal(failing.status.code, 2)
  t.equal(failing.attributes['error.type'], 'E_FAIL')
  t.same(failing.events.map((e) => Object.keys(e.attributes).sort()), [['exception.message', 'exception.type']], 'no stack trace')
  t.equal(failing.events[0]!.attributes['exception.message'], 'token=[redacted] at https://x.example/', 'scrubbed on its way out')
  t.equal(named('typed failure').attributes['error.type'], 'timeout', 'a type set by the work stays')
  t.equal(named('not an error').attributes['error.type'], 'string')
  t.same(spans.filter((s) => s.name === 'getNextJob webhooks').map((s) => s.parentSpanId), [named('process webhooks').spanId], 'BullMQ\'s polling root is dropped, inside a job it is kept')

  t.ok(spans.every((s) => s.service === 'onboarding-unit'))
  // the receiver also answered the two calls above
  const exports = otlp.exports.filter((e) => e.path === '/v1/traces')
  t.ok(exports.length > 0 && exports.every((e) => e.headers['x-collector-key'] === 'collector-key-1'), 'the configured headers on every export')
  const resource = JSON.parse(exports[0]!.body.toString('utf8')).resourceSpans[0].resource.attributes as Array<{ key: string }>
  t.ok(resource.some((a) => a.key === 'deployment.environment') && resource.some((a) => a.key === 'service.version') && resource.some((a) => a.key === 'telemetry.sdk.name'))
})

t.test('OpenTelemetry\'s own warnings and errors become JSON log lines, scrubbed; its chatter does not', async (t) => {
  const lines: string[] = []
  const write = process.stdout.write
  process.stdout.write = ((chunk: string) => { lines.push(chunk); return true }) as typeof process.stdout.write
  try {
    diag.error('export failed for https://collector.example/v1/traces?api_key=k1')
    diag.warn('Dropped 3 spans because maxQueueSize reached')
    diag.info('starting')
    diag.debug('details')
  } finally {
    process.stdout.write = write
  }
  t.same(lines.map((l) => { const { level, msg } = JSON.parse(l); return [level, msg] }), [
    [50, 'opentelemetry: export failed for https://collector.example/v1/traces'],
    [40, 'opentelemetry: Dropped 3 spans because maxQueueSize reached']
  ])
})

t.test('a stored traceparent as a link', async (t) => {
  t.same(linkTo('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'), { context: { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: 1, isRemote: true } })
  t.equal(linkTo(undefined), undefined)
  t.equal(linkTo('01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'), undefined, 'an unknown version')
})
