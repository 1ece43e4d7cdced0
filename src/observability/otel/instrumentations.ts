// The official instrumentations the service uses, each told what not to record. Nothing here records a value
// that a secret could be in: Redis commands by name only, URLs by their path only.
import { FastifyOtelInstrumentation } from '@fastify/otel'
import { IORedisInstrumentation } from '@opentelemetry/instrumentation-ioredis'
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici'
import { insideOwnCall } from './own-calls.js'

const withoutQuery = (url: string): string => url.split('?', 1)[0]!

/** every Redis command, in a span of its own, inside traced work only */
export const redisInstrumentation = (): IORedisInstrumentation => new IORedisInstrumentation({
  // the command's name only: its arguments are keys and values (sealed tokens, state hashes, event bodies)
  dbStatementSerializer: (command) => command,
  // BullMQ's blocking fetches and the sweeps run on timers: inside no request or job, they make no trace
  requireParentSpan: true
})

/**
 * Outgoing HTTP made with undici. The service's own calls (Meta's, the webhook's) have spans that say more
 * (meta/meta-transport.ts, webhooks/deliverer.ts) and are left out; anything else is traced by its path, since
 * the undici instrumentation records the whole URL, query and all, unless told otherwise.
 */
export const httpClientInstrumentation = (): UndiciInstrumentation => new UndiciInstrumentation({
  ignoreRequestHook: () => insideOwnCall(),
  startSpanHook: (request) => ({ 'url.full': withoutQuery(`${request.origin}${request.path}`), 'url.query': undefined })
})

/**
 * The server span of every request, named by its route pattern (`GET /oauth/callback`) with `http.route`, from
 * an incoming W3C traceparent when there is one. @fastify/otel opens it in its own first onRequest hook and
 * records the raw URL as `url.path`; the callback's query holds the code and the state, so the path replaces it
 * at once. Its lifecycle hooks get no spans (a dozen per request, saying nothing the route does not); the handler
 * keeps its span (`handler`, the server span's child), through which the handler's work stays in the request's
 * context after a body was read: Meta calls and the webhook attempts a request starts are its children.
 */
export const serverInstrumentation = (): FastifyOtelInstrumentation => new FastifyOtelInstrumentation({
  instrumentHooks: false,
  requestHook: (span, request) => {
    const route = request.routeOptions.url
    span.updateName(route === undefined ? request.method : `${request.method} ${route}`)
    span.setAttribute('url.path', withoutQuery(request.url))
  },
  // its default name is the plugin's that declared the route ("handler - browserRoutes"); http.route says more
  lifecycleHook: (span, info) => {
    if (info.hookName === 'handler') span.updateName('handler')
  }
})
