// Traces as SPEC §9 has them, from the real service process exporting to an OTLP receiver on loopback, over both
// protocols: three onboardings through the callback and one through /code (every Meta endpoint), their webhooks
// (one retried through BullMQ) and their provisioning. Server spans by route pattern, continuing an incoming traceparent; Meta client spans children of
// the span that made them, with meta.endpoint; webhook attempt spans linked to the span that decided the event,
// their traceparent on the webhook; Redis and queue spans; trace_id in the log lines; and not one secret, code,
// state, cookie, proof or query string in any byte exported.
import t from 'tap'
import type { SimulatedGrant } from '../../src/sandbox/meta-simulator.js'
import { SPAN_KIND, type ExportedSpan } from '../../src/sandbox/otlp-spans.js'
import { API_KEY, GRANTS, leakedSecrets } from '../helper.js'
import { login, submitCode, tracedService } from './traced-service.js'

const INCOMING = { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331' }
/** a flow 1 grant without target_ids: the Pages and ad accounts are listed (`assets`) */
const LISTED: SimulatedGrant = { ...GRANTS.business_portfolio, scopes: [...GRANTS.business_portfolio.scopes, 'pages_show_list'], targetIds: false }
/** what Meta's error text may carry: the service never copies it (meta-call-error.ts), so no span may hold it */
const LEAKY = 'EAAGleakedtoken0123456789abcdefghij https://graph.facebook.com/v26.0/me?access_token=EAAGleaked2'
const ALL_ENDPOINTS = ['ad_account', 'asset_connections', 'assets', 'debug_token', 'exchange', 'long_lived', 'me', 'page_token', 'subscribed_apps']
/** the calls the callback makes itself; the others are provisioning's, after the answer */
const CALLBACK_ENDPOINTS = new Set(['exchange', 'debug_token', 'me', 'assets', 'long_lived', 'asset_connections'])

const strings = (span: ExportedSpan): string[] => [
  span.name,
  span.status.message,
  ...Object.entries(span.attributes).flatMap(([k, v]) => [k, String(v)]),
  ...span.events.flatMap((e) => [e.name, ...Object.entries(e.attributes).flatMap(([k, v]) => [k, String(v)])])
]

for (const [protocol, db] of [['http/protobuf', 8], ['http/json', 9]] as const) {
  t.test(`traces over ${protocol}`, async (t) => {
    const s = await tracedService(t, {
      db,
      // http/protobuf is the default: left unset for it
      otel: protocol === 'http/json' ? { OTEL_EXPORTER_OTLP_PROTOCOL: protocol } : {},
      env: { READINESS_CHECKS: 'true', PAGE_SUBSCRIBED_FIELDS: 'messages' }
    })
    // the first webhook is refused once: its retry is a BullMQ job
    s.receiver.plan.push(500)
    // a transient failure of debug_token, retried in the request, whose error text carries a token and a query
    s.sim.failNext('debug_token', { status: 500, graphError: { code: 1, message: `An unexpected error ${LEAKY}`, is_transient: true } })
    const sessions = [
      await login(s, 'business_portfolio', LISTED, { traceparent: `00-${INCOMING.traceId}-${INCOMING.spanId}-01` }),
      await login(s, 'asset_based', GRANTS.asset_based),
      await login(s, 'partner_billing', GRANTS.partner_billing)
    ]
    t.same(sessions.map((x) => x.status), [303, 303, 303], 'three completed logins')
    // a body read before the handler runs: the handler's span keeps its work in the request's trace
    const viaCode = await submitCode(s, 'business_portfolio', GRANTS.business_portfolio)
    t.equal(viaCode.status, 200)
    const ids = [...sessions, viaCode].map((x) => x.sessionId)
    const delivered = (type: string) => (e: typeof s.receiver.events) => ids.every((id) => e.some((x) => x.type === type && x.body.data.session_id === id))
    await s.receiver.waitFor((e) => delivered('onboarding.completed')(e) && delivered('onboarding.provisioned')(e) && e.length >= 9, 10_000)
    // everything still buffered is exported at shutdown
    t.equal(await s.service.stop('SIGTERM'), 0, 'graceful exit')
    const spans = await s.otlp!.waitFor((all) => all.filter((x) => x.name === 'POST webhook').length >= 9)
    const byId = new Map(spans.map((x) => [x.spanId, x]))
    const parent = (span: ExportedSpan) => byId.get(span.parentSpanId)
    const ancestors = (span: ExportedSpan): ExportedSpan[] => {
      const chain: ExportedSpan[] = []
      for (let p = parent(span); p; p = parent(p)) chain.push(p)
      return chain
    }

    t.test('the export: OTLP over the protocol asked, service.name, the scopes of each instrumentation', async (t) => {
      const exports = s.otlp!.exports
      t.ok(exports.length > 0)
      t.ok(exports.every((e) => e.path === '/v1/traces' && e.contentType === (protocol === 'http/json' ? 'application/json' : 'application/x-protobuf')), 'POST /v1/traces')
      t.ok(spans.every((x) => x.service === 'messenger-onboarding'))
      const scopes = new Set(spans.map((x) => x.scope))
      for (const scope of ['@fastify/otel', '@opentelemetry/instrumentation-ioredis', 'bullmq', 'messenger-onboarding']) t.ok(scopes.has(scope), scope)
    })

    const completed = (sessionId: string) => spans.find((x) => x.name === 'POST webhook' && x.attributes['webhook.type'] === 'onboarding.completed' && x.attributes['onboarding.session_id'] === sessionId && x.attributes['webhook.attempt'] === 1)!
    // the span that decided each session's outcome is the callback's handler: the server span's child
    const callbacks = ids.map((id) => {
      const decided = byId.get(completed(id).links[0]!.spanId)!
      return { id, handler: decided, server: parent(decided)! }
    })

    t.test('a server span per request, named by its route pattern, continuing an incoming traceparent', async (t) => {
      for (const { handler, server } of callbacks.slice(0, 3)) {
        t.equal(server.name, 'GET /oauth/callback')
        t.equal(server.kind, SPAN_KIND.server)
        t.equal(server.attributes['http.route'], '/oauth/callback')
        t.equal(server.attributes['http.response.status_code'], 303)
        t.equal(server.attributes['url.path'], '/oauth/callback', 'the path, without the query that holds the code and the state')
        t.equal(handler.name, 'handler')
      }
      const code = callbacks[3]!
      t.equal(code.server.name, 'POST /v1/sessions/:id/code')
      t.equal(code.server.attributes['http.route'], '/v1/sessions/:id/code')
      t.equal(code.server.attributes['http.response.status_code'], 200)
      t.equal(code.handler.name, 'handler')
      t.equal(callbacks[0]!.server.traceId, INCOMING.traceId, 'the incoming trace is continued')
      t.equal(callbacks[0]!.server.parentSpanId, INCOMING.spanId)
      t.not(callbacks[1]!.server.traceId, INCOMING.traceId, 'without one, a trace of its own')
      t.ok(spans.some((x) => x.name === 'POST /v1/sessions' && x.attributes['http.route'] === '/v1/sessions'))
      t.ok(spans.some((x) => x.name === 'GET /login/:session_id' && x.kind === SPAN_KIND.server))
    })

    t.test('a client span per Meta call, a child of the span that made it, with meta.endpoint', async (t) => {
      const meta = spans.filter((x) => x.attributes['meta.endpoint'] !== undefined)
      t.same([...new Set(meta.map((x) => x.attributes['meta.endpoint']))].sort(), ALL_ENDPOINTS, 'every endpoint of §3\'s metric')
      for (const { handler, server } of callbacks) {
        const own = meta.filter((x) => x.traceId === server.traceId)
        t.ok(own.length >= 4, `${own.length} Meta calls in the callback's trace`)
        for (const call of own) {
          t.equal(call.kind, SPAN_KIND.client)
          t.equal(call.name, `GET ${call.attributes['meta.endpoint']}`.replace('GET asset_connections', 'POST asset_connections').replace('GET subscribed_apps', 'POST subscribed_apps'))
          t.ok(ancestors(call).includes(server), `${call.name} descends from the callback's server span`)
          if (CALLBACK_ENDPOINTS.has(String(call.attributes['meta.endpoint']))) t.equal(call.parentSpanId, handler.spanId, `${call.name}: a child of the callback's handler`)
          else t.equal(parent(call)?.name, 'provisioning attempt', `${call.name}: a child of the provisioning attempt`)
        }
      }
      const flow1 = meta.filter((x) => x.traceId === INCOMING.traceId).map((x) => x.attributes['meta.endpoint'])
      t.same(flow1.filter((e) => e === 'assets').length, 2, '/me/accounts and /me/adaccounts are both `assets`')
      const failed = meta.find((x) => x.attributes['meta.endpoint'] === 'debug_token' && x.attributes['http.response.status_code'] === 500)!
      t.ok(failed, 'the failed debug_token call has its span')
      t.equal(failed.status.code, 2, 'error status')
      t.equal(failed.attributes['error.type'], '500')
      t.equal(failed.attributes['meta.error.code'], 1)
      t.same(failed.events.map((e) => e.name), ['exception'])
      t.match(failed.events[0]!.attributes['exception.message'], /^Meta debug_token call failed: http \(HTTP 500\) code 1$/)
      t.notOk('exception.stacktrace' in failed.events[0]!.attributes, 'no stack trace')
    })

    t.test('a span per webhook attempt: webhook.id, its status code, a link to the decision, its traceparent sent', async (t) => {
      t.equal(s.receiver.events.length, 9, 'eight events, one of them twice')
      for (const event of s.receiver.events) {
        const attempt = spans.find((x) => x.name === 'POST webhook' && x.attributes['webhook.id'] === event.id && x.attributes['webhook.attempt'] === event.attempt)!
        t.ok(attempt, `${event.type} attempt ${event.attempt} has its span`)
        t.equal(attempt.kind, SPAN_KIND.client)
        t.equal(event.headers.traceparent, `00-${attempt.traceId}-${attempt.spanId}-01`, 'the webhook carries the attempt span\'s traceparent')
        t.equal(attempt.links.length, 1)
        const decision = byId.get(attempt.links[0]!.spanId)!
        t.equal(decision.traceId, attempt.links[0]!.traceId)
        if (event.type === 'onboarding.completed') t.ok(callbacks.some((c) => c.handler === decision), 'linked to the callback that decided it')
        else {
          t.equal(decision.name, 'provisioning attempt', 'linked to the provisioning attempt that decided it')
          t.equal(decision.attributes['onboarding.session_id'], event.body.data.session_id)
        }
      }
      const first = spans.filter((x) => x.attributes['webhook.id'] === completed(ids[0]!).attributes['webhook.id'])
      t.same(first.map((x) => [x.attributes['webhook.attempt'], x.attributes['http.response.status_code'], x.attributes['webhook.outcome']]).sort(), [[1, 500, 'failed'], [2, 204, 'delivered']])
      t.equal(first.find((x) => x.attributes['webhook.attempt'] === 1)!.status.code, 2, 'the refused attempt is an error')
      const retry = first.find((x) => x.attributes['webhook.attempt'] === 2)!
      t.same(retry.links, first.find((x) => x.attributes['webhook.attempt'] === 1)!.links, 'the retry links to the same decision')
      const job = parent(retry)!
      t.match(job.name, /^process webhooks/, 'the retry runs in its BullMQ job\'s span')
      t.equal(job.kind, SPAN_KIND.consumer)
      t.ok(spans.some((x) => x.traceId === job.traceId && x.kind === SPAN_KIND.producer && /^add webhooks/.test(x.name)), 'and the job\'s queueing is in the same trace')
    })

    t.test('Redis spans name the command only', async (t) => {
      const redis = spans.filter((x) => x.attributes['db.system.name'] === 'redis')
      t.ok(redis.some((x) => x.traceId === INCOMING.traceId), 'the callback\'s Redis commands are in its trace')
      for (const command of redis) t.equal(command.attributes['db.query.text'], command.attributes['db.operation.name'], `${command.name}: no arguments`)
    })

    t.test('log lines carry trace_id', async (t) => {
      const lines = s.service.output().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>)
      const request = lines.find((l) => l.msg === 'request' && l.route === '/oauth/callback' && l.session_id === ids[0])!
      t.equal(request.trace_id, INCOMING.traceId, 'the callback\'s request line')
      const attempt = lines.find((l) => l.msg === 'webhook attempt' && l.event_id === completed(ids[0]!).attributes['webhook.id'])!
      t.match(attempt.trace_id, /^[0-9a-f]{32}$/, 'a webhook attempt line')
      t.ok(lines.filter((l) => l.msg === 'request').every((l) => typeof l.trace_id === 'string'), 'every request line')
    })

    t.test('no token, code, state, secret, proof, cookie or query string in any byte exported', async (t) => {
      const secrets = [...s.secrets(), ['Meta\'s error text', LEAKY] as [string, string]]
      t.ok(secrets.some(([kind]) => kind === 'code') && secrets.some(([kind]) => kind === 'appsecret_proof'), 'the codes and proofs Meta saw are looked for')
      for (const [i, exported] of s.otlp!.exports.entries()) {
        t.same(leakedSecrets(exported.body.toString('latin1'), secrets), [], `export ${i + 1}, as bytes`)
      }
      t.same(leakedSecrets(JSON.stringify(spans, (_k, v) => typeof v === 'bigint' ? String(v) : v), secrets), [], 'the decoded spans')
      const queries = spans.flatMap((x) => strings(x).filter((text) => /\?[^\s]*=/.test(text)).map((text) => `${x.name}: ${text}`))
      t.same(queries, [], 'no URL query anywhere')
    })

    t.test('what the process loaded: the SDK, its loader hook, and the global API registered', async (t) => {
      const modules = s.modules()
      t.ok(modules.cjs.some((path) => path.includes('/@opentelemetry/sdk-trace-base/')), 'the SDK')
      t.ok(modules.esm.some((url) => url.includes('/import-in-the-middle/')), 'import-in-the-middle\'s loader')
      t.ok(modules.esm.some((url) => url.endsWith('/observability/otel/start-tracing.ts')), 'the service\'s start of tracing')
      t.same(modules.otelGlobals.sort(), ['context', 'diag', 'propagation', 'trace'])
    })
  })
}

t.test('events decided by background jobs link to the job: a resumed session, a notice; a redelivery adds its request', async (t) => {
  const s = await tracedService(t, { db: 9, otel: {}, env: { ONBOARDING_RETRY_SCHEDULE: '300ms' } })
  const events = s.receiver.events
  const auth = { authorization: `Bearer ${API_KEY}` }

  // a delivery dead at once (410), then redelivered by an operator
  s.receiver.plan.push(410)
  const dead = await login(s, 'business_portfolio', GRANTS.business_portfolio)
  await s.receiver.waitFor((e) => e.some((x) => x.body.data.session_id === dead.sessionId))
  const eventId = events.find((x) => x.body.data.session_id === dead.sessionId)!.id
  const deadLetters = async () => (await (await fetch(`${s.base}/v1/deliveries?status=dead`, { headers: auth })).json() as { data: unknown[] }).data.length
  for (let i = 0; i < 50 && await deadLetters() === 0; i++) await new Promise((resolve) => setTimeout(resolve, 50))
  const redelivered = await fetch(`${s.base}/v1/deliveries/${eventId}/redeliver`, { method: 'POST', headers: auth })
  t.equal(redelivered.status, 202)
  // Meta failing after the exchange past the in-request retries: the session is processing, then resumed by a job
  s.sim.failNext('me', { status: 500 }, 3)
  const resumed = await login(s, 'business_portfolio', GRANTS.business_portfolio)
  // a flow 2 token that expires within TOKEN_EXPIRY_NOTICE: its expiring notice is a job due at once
  s.sim.setLongLivedLifetime(3600)
  const noticed = await login(s, 'asset_based', GRANTS.asset_based)
  await s.receiver.waitFor((e) => e.filter((x) => x.id === eventId).length === 2 &&
    e.some((x) => x.body.data.session_id === resumed.sessionId) && e.some((x) => x.type === 'onboarding.token_expiring'), 10_000)
  t.equal(await s.service.stop('SIGTERM'), 0)
  const spans = await s.otlp!.waitFor((all) => all.filter((x) => x.name === 'POST webhook').length >= 5)
  const byId = new Map(spans.map((x) => [x.spanId, x]))
  const attempt = (id: string, n: number) => spans.find((x) => x.name === 'POST webhook' && x.attributes['webhook.id'] === id && x.attributes['webhook.attempt'] === n)!
  const linked = (span: ExportedSpan) => span.links.map((l) => byId.get(l.spanId)!)

  const [decision, redelivery] = linked(attempt(eventId, 2))
  t.equal(decision!.name, 'handler', 'the redelivered attempt links to the callback that decided the event')
  t.equal(byId.get(decision!.parentSpanId)!.name, 'GET /oauth/callback')
  t.equal(redelivery!.name, 'handler', 'and to the request that redelivered it')
  t.equal(byId.get(redelivery!.parentSpanId)!.name, 'POST /v1/deliveries/:id/redeliver')
  t.same(linked(attempt(eventId, 1)), [decision], 'the first attempt links to the decision only')
  t.equal(attempt(eventId, 1).attributes['http.response.status_code'], 410)

  const job = linked(attempt(events.find((x) => x.body.data.session_id === resumed.sessionId)!.id, 1))[0]!
  t.equal(job.name, 'onboarding attempt', 'the resumed session\'s outcome links to the attempt that decided it')
  t.equal(job.attributes['onboarding.session_id'], resumed.sessionId)
  t.match(byId.get(job.parentSpanId)!.name, /^process onboarding/, 'which ran as a BullMQ job')

  const notice = linked(attempt(events.find((x) => x.type === 'onboarding.token_expiring')!.id, 1))[0]!
  t.equal(notice.name, 'expiry notice', 'a notice links to its job')
  t.same([notice.attributes['onboarding.session_id'], notice.attributes['onboarding.notice']], [noticed.sessionId, 'expiring'])
  t.match(byId.get(notice.parentSpanId)!.name, /^process lifecycle/)
})
