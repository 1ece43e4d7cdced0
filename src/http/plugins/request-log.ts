// One JSON log line per request, written when the response is sent: method, route pattern, path without
// its query (the callback's query holds the code and the state), status, duration and the session it was
// about, so one line per request is enough to follow an onboarding. The same moment
// feeds the HTTP metrics, labelled by route pattern so label values stay bounded.
import { randomUUID } from 'node:crypto'
import type { FastifyServerOptions, RawRequestDefaultExpression } from 'fastify'
import fp from 'fastify-plugin'
import type { DestinationStream } from 'pino'
import { errorSummary } from '../../lib/error-summary.js'
import type { Metrics } from '../../observability/metrics.js'
import { tracing } from '../../observability/tracing.js'

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/

/** the caller's X-Request-Id when it is a sane token, so one onboarding can be followed across systems */
export function requestId (req: RawRequestDefaultExpression): string {
  const incoming = req.headers['x-request-id']
  return typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID()
}

export function loggerOptions (level: string, stream?: DestinationStream): FastifyServerOptions['logger'] {
  const traced = tracing()
  return {
    level,
    ...(stream ? { stream } : {}),
    // with tracing on, every line written inside a span carries its trace_id and span_id; without, no mixin at all
    ...(traced.on ? { mixin: () => traced.logFields() } : {}),
    // every `err` of every line, whoever logs it: name, message and code only. Fastify's type wants the stack
    // that this serializer leaves out on purpose.
    serializers: { err: errorSummary as unknown as (err: Error) => { type: string; message: string; stack: string } },
    // belt and braces: nothing logs these today, and nothing ever should
    redact: {
      paths: ['req.headers.authorization', 'req.headers.cookie', 'headers.authorization', 'headers.cookie', 'access_token', '*.access_token', 'code', 'state', 'token', '*.token'],
      censor: '[redacted]'
    }
  }
}

declare module 'fastify' {
  interface FastifyRequest {
    /** the onboarding session a request is about, for its log line */
    sessionId: string | null
  }
}

export default fp<{ metrics: Metrics }>(async function requestLog (app, { metrics }) {
  app.decorateRequest('sessionId', null)
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id)
  })
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched'
    const status = String(reply.statusCode)
    const seconds = reply.elapsedTime / 1000
    metrics.httpRequests.inc({ method: request.method, route, status })
    metrics.httpDuration.observe({ method: request.method, route, status }, seconds)
    request.log.info({
      method: request.method,
      route,
      path: request.url.split('?')[0]!.slice(0, 256),
      status: reply.statusCode,
      ms: Math.round(reply.elapsedTime * 10) / 10,
      ip: request.ip,
      session_id: request.sessionId ?? undefined
    }, 'request')
  })
}, { name: 'request-log' })
