// The net before spans leave the process: URL queries, authenticating headers, statements' values, stack traces
// and secret name=value pairs are taken out of names, attributes, events, links and status messages, whatever
// instrumentation put them there; everything else passes unchanged.
import t from 'tap'
import { SpanKind, SpanStatusCode, type Attributes } from '@opentelemetry/api'
import type { ExportResult } from '@opentelemetry/core'
import { resourceFromAttributes } from '@opentelemetry/resources'
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base'
import { ScrubbingExporter, scrubAttributes, scrubSpan, scrubText } from '../../src/observability/otel/scrubbing-exporter.js'

const context = { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: 1 }

function span (overrides: Partial<ReadableSpan>): ReadableSpan {
  return {
    name: 'GET',
    kind: SpanKind.CLIENT,
    spanContext: () => context,
    startTime: [1, 0],
    endTime: [1, 5],
    status: { code: SpanStatusCode.UNSET },
    attributes: {},
    links: [],
    events: [],
    duration: [0, 5],
    ended: true,
    resource: resourceFromAttributes({ 'service.name': 'messenger-onboarding' }),
    instrumentationScope: { name: 'test' },
    droppedAttributesCount: 0,
    droppedEventsCount: 0,
    droppedLinksCount: 0,
    ...overrides
  }
}

t.test('free text: URLs lose their query, secret name=value pairs are redacted, the rest is unchanged', async (t) => {
  t.equal(scrubText('GET https://graph.facebook.com/v26.0/me?access_token=EAAG1&appsecret_proof=ab failed'), 'GET https://graph.facebook.com/v26.0/me failed')
  t.equal(scrubText('redis://127.0.0.1:6379/0?password=x#frag'), 'redis://127.0.0.1:6379/0#frag')
  t.equal(scrubText('bad form: code=AQD9xyz&state=ses_1_abc, signed_request=sig.payload'), 'bad form: code=[redacted]&state=[redacted], signed_request=[redacted]')
  t.equal(scrubText('Meta debug_token call failed: http (HTTP 500) code 1'), 'Meta debug_token call failed: http (HTTP 500) code 1')
  t.equal(scrubText('connect ECONNREFUSED 127.0.0.1:9'), 'connect ECONNREFUSED 127.0.0.1:9')
})

t.test('attributes: secret-bearing keys dropped, URLs cut at their query, statements kept to their operation', async (t) => {
  const attributes: Attributes = {
    'url.full': 'https://graph.facebook.com/v26.0/oauth/access_token?client_secret=s&code=c',
    'url.query': '?client_secret=s&code=c',
    'url.path': '/v26.0/oauth/access_token',
    'http.url': 'http://127.0.0.1:3000/oauth/callback?code=c&state=s',
    'http.target': '/oauth/callback?code=c&state=s',
    'http.request.header.cookie': ['__Host-mo_nonce=abc.sig'],
    'http.request.header.authorization': ['Bearer EAAG'],
    'http.response.header.set-cookie': ['x=y'],
    'db.statement': 'SET mo:token:ses_1 sealed-bytes EX 60',
    'db.query.text': 'evalsha 3f2a 2 key1 key2 {"access_token":"EAAG"}',
    'messaging.note': ['see https://x.example/a?token=1', 'plain'],
    'http.response.status_code': 200,
    'meta.endpoint': 'exchange',
    'server.address': 'graph.facebook.com',
    ok: true
  }
  t.strictSame(scrubAttributes(attributes), {
    'url.full': 'https://graph.facebook.com/v26.0/oauth/access_token',
    'url.path': '/v26.0/oauth/access_token',
    'http.url': 'http://127.0.0.1:3000/oauth/callback',
    'http.target': '/oauth/callback',
    'db.statement': 'SET',
    'db.query.text': 'evalsha',
    'messaging.note': ['see https://x.example/a', 'plain'],
    'http.response.status_code': 200,
    'meta.endpoint': 'exchange',
    'server.address': 'graph.facebook.com',
    ok: true
  })
})

t.test('a span: its name, status message, events (no stack trace) and links scrubbed; its identity kept', async (t) => {
  const original = span({
    name: 'GET /oauth/callback?code=c&state=s',
    status: { code: SpanStatusCode.ERROR, message: 'fetch https://x.example/hook?key=k failed' },
    attributes: { 'url.query': '?a=b', 'http.route': '/oauth/callback' },
    events: [{ name: 'exception', time: [1, 1], attributes: { 'exception.type': 'Error', 'exception.message': 'token=EAAG1 rejected', 'exception.stacktrace': 'Error: token=EAAG1\n    at x (file.js:1:1)' } }],
    links: [{ context, attributes: { 'url.full': 'https://a.example/?state=s' } }, { context }],
    parentSpanContext: { ...context, spanId: '1111111111111111' }
  })
  const scrubbed = scrubSpan(original)
  t.equal(scrubbed.name, 'GET /oauth/callback')
  t.strictSame(scrubbed.status, { code: SpanStatusCode.ERROR, message: 'fetch https://x.example/hook failed' })
  t.strictSame(scrubbed.attributes, { 'http.route': '/oauth/callback' })
  t.strictSame(scrubbed.events, [{ name: 'exception', time: [1, 1], attributes: { 'exception.type': 'Error', 'exception.message': 'token=[redacted] rejected' } }])
  t.strictSame(scrubbed.links.map((l) => l.attributes), [{ 'url.full': 'https://a.example/' }, undefined])
  t.equal(scrubbed.spanContext(), context)
  t.equal(scrubbed.parentSpanContext, original.parentSpanContext)
  t.equal(scrubbed.resource, original.resource)
  t.equal(original.name, 'GET /oauth/callback?code=c&state=s', 'the SDK\'s own span is not changed')
  t.strictSame(scrubSpan(span({ status: { code: SpanStatusCode.OK } })).status, { code: SpanStatusCode.OK })
})

t.test('the exporter hands the scrubbed copies on, and passes shutdown and flush through', async (t) => {
  const seen: ReadableSpan[][] = []
  const calls: string[] = []
  const inner: SpanExporter = {
    export: (spans, done: (result: ExportResult) => void) => { seen.push(spans); done({ code: 0 }) },
    shutdown: async () => { calls.push('shutdown') },
    forceFlush: async () => { calls.push('flush') }
  }
  const exporter = new ScrubbingExporter(inner)
  const result = await new Promise<ExportResult>((resolve) => exporter.export([span({ attributes: { 'url.full': 'http://a/b?c=d' } })], resolve))
  t.equal(result.code, 0)
  t.strictSame(seen[0]!.map((s) => s.attributes), [{ 'url.full': 'http://a/b' }])
  await exporter.forceFlush()
  await exporter.shutdown()
  t.same(calls, ['flush', 'shutdown'])
  await new ScrubbingExporter({ export: inner.export, shutdown: inner.shutdown }).forceFlush()
})
