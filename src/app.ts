// buildApp(config, deps): the whole service, without listening. Tests build it with their own Redis prefix,
// undici dispatcher and log stream; server.ts builds it from the environment. The app is named plugins in the
// order they depend on each other (metrics, store, delivery, onboarding), then the route groups, each with its
// own hooks: docs/architecture.md draws the layers.
import cookie from '@fastify/cookie'
import Fastify, { LogController, type FastifyInstance, type RouteOptions } from 'fastify'
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod'
import type { DestinationStream } from 'pino'
import type { Dispatcher } from 'undici'
import type { Config } from './config/config.js'
import { errorHandler, sendProblem, toProblem } from './http/error-handler.js'
import apiAuth from './http/plugins/api-auth.js'
import closing from './http/plugins/closing.js'
import rateLimit, { apiKeyBucket } from './http/plugins/rate-limit.js'
import refusalLimit from './http/plugins/refusal-limit.js'
import requestLog, { loggerOptions, requestId } from './http/plugins/request-log.js'
import securityHeaders from './http/plugins/security-headers.js'
import { browserRoutes } from './http/routes/browser-routes.js'
import { dataDeletionApiRoutes, dataDeletionPageRoutes } from './http/routes/data-deletion-routes.js'
import { deliveryRoutes } from './http/routes/delivery-routes.js'
import { metaSignedRequestRoutes } from './http/routes/meta-signed-request-routes.js'
import { metaWebhookRoutes } from './http/routes/meta-webhook-routes.js'
import { operatorRoutes } from './http/routes/operator-routes.js'
import { sessionRoutes } from './http/routes/session-routes.js'
import { ProblemError } from './lib/problems.js'
import { tracing } from './observability/tracing.js'
import delivery from './plugins/delivery-plugin.js'
import metrics from './plugins/metrics-plugin.js'
import lifecycle from './plugins/lifecycle-plugin.js'
import onboarding from './plugins/onboarding-plugin.js'
import store from './plugins/store-plugin.js'
import type { RedisConnection } from './store/redis/redis-client.js'

export interface AppDeps {
  /** an existing Redis client or cluster (the app does not close it); default: one made from the configuration */
  redis?: RedisConnection
  /** key prefix in Redis, so tests and several services can share one server */
  redisKeyPrefix?: string
  /** where Meta and webhook calls go; tests pass a MockAgent or a loopback agent */
  dispatcher?: Dispatcher
  logStream?: DestinationStream
  now?: () => number
  /** how long close() waits for webhook attempts in flight */
  drainTimeoutMs?: number
  /** how often the outbox sweep looks for pending deliveries without a job, and how old they must be */
  sweepIntervalMs?: number
  sweepMinAgeMs?: number
  /** concurrent webhook attempts per instance */
  deliveryConcurrency?: number
  /** a line shown on every HTML page (the sandbox says that Meta is simulated) */
  pageNotice?: string
  /** told of every route as it is added (the openapi test compares them with openapi.yaml) */
  onRoute?: (route: RouteOptions) => void
}

declare module 'fastify' {
  interface FastifyInstance {
    /** the line every HTML page shows above its content, if any */
    pageNotice: string | null
  }
}

/** no route of ours needs more: a login URL is under 100 bytes, Meta's callback under 1 KiB */
const MAX_URL_BYTES = 8192

/** Meta batches up to 1000 changes in one app webhook: that route takes at least this much, whatever BODY_LIMIT_BYTES */
const META_WEBHOOK_BODY_LIMIT = 1024 * 1024

// a mangled login link is still opened by a person: answer with a page, not JSON
const isBrowserPath = (url: string): boolean => /^\/(login|oauth)\/|^\/meta\/data-deletion\/./.test(url)

/**
 * What a URL that matches no route means to its caller. `paramTooLong`: the router refused a path parameter
 * longer than any ID, so a session route with an over-long ID is still an unknown session.
 */
function notFound (method: string, url: string, paramTooLong: boolean): ProblemError {
  const path = url.split('?')[0]!
  if (isBrowserPath(url)) return new ProblemError('not_found', 'This link is not valid. Start again from the platform that sent you here.')
  if (paramTooLong && /^\/v1\/sessions\/[^/]+(\/code)?$/.test(path)) return new ProblemError('session_not_found', 'No such session')
  if (paramTooLong && /^\/v1\/deliveries\/[^/]+\/redeliver$/.test(path)) return new ProblemError('delivery_not_found', 'No such delivery')
  return new ProblemError('not_found', `No route ${method} ${path.slice(0, 100)}`)
}

export async function buildApp (config: Config, deps: AppDeps = {}): Promise<FastifyInstance> {
  const now = deps.now ?? Date.now
  const keyPrefix = deps.redisKeyPrefix ?? 'mo:'
  const app = Fastify({
    logger: loggerOptions(config.logLevel, deps.logStream),
    // one line per request, written by request-log.ts without the query string
    logController: new LogController({ disableRequestLogging: true }),
    genReqId: requestId,
    requestIdHeader: false,
    // a hop count is valid at run time (proxy-addr) though the type omits it
    trustProxy: config.trustProxy as boolean | string,
    bodyLimit: config.bodyLimitBytes,
    // the longest path is /v1/sessions/ses_<32 hex>/code; anything far longer is not ours
    routerOptions: { maxParamLength: 200 },
    return503OnClosing: true,
    // errors raised before routing (a malformed URL, an over-long path parameter) get the same answers
    frameworkErrors: (err, request, reply) => {
      const problem = err.code === 'FST_ERR_MAX_PARAM_LENGTH' ? notFound(request.method, request.url, true) : toProblem(err)
      return sendProblem(problem, request, reply, isBrowserPath(request.url))
    }
  })
  // before any hook, route or handler: it opens each request's server span in the first onRequest hook, and wraps
  // the handlers added after it (README, "Tracing")
  const { fastifyPlugin } = tracing()
  if (fastifyPlugin) await app.register(fastifyPlugin)
  // the API takes JSON only: a text/plain body is a 415, not a string that fails validation
  app.removeContentTypeParser('text/plain')
  app.setValidatorCompiler(validatorCompiler)
  app.setSerializerCompiler(serializerCompiler)
  app.setErrorHandler(errorHandler)
  app.setNotFoundHandler((request, reply) => sendProblem(notFound(request.method, request.url, false), request, reply, isBrowserPath(request.url)))
  app.decorate('pageNotice', deps.pageNotice ?? null)
  if (deps.onRoute) app.addHook('onRoute', deps.onRoute)

  // the first hook: an oversized URL is refused before anything parses or stores it
  app.addHook('onRequest', async (request) => {
    if (request.url.length > MAX_URL_BYTES) throw new ProblemError('uri_too_long', `The URL is longer than ${MAX_URL_BYTES} bytes`)
  })

  await app.register(metrics, { now })
  await app.register(requestLog, { metrics: app.metrics })
  await app.register(securityHeaders, { hsts: config.secureCookies })
  await app.register(cookie, { secret: config.cookieSecret })
  await app.register(closing)
  // registered in this order, closed in the reverse: the store outlives the deliveries that use it
  await app.register(store, { config, redis: deps.redis, keyPrefix })
  // onboarding_store_ready pings the same store /readyz does, at each scrape
  app.metrics.store.source = () => app.stores.ping()
  await app.register(delivery, {
    config,
    keyPrefix,
    dispatcher: deps.dispatcher,
    now,
    concurrency: deps.deliveryConcurrency,
    drainTimeoutMs: deps.drainTimeoutMs,
    sweepIntervalMs: deps.sweepIntervalMs,
    sweepMinAgeMs: deps.sweepMinAgeMs
  })
  await app.register(lifecycle, { config, keyPrefix, dispatcher: deps.dispatcher, now, sweepIntervalMs: deps.sweepIntervalMs })
  await app.register(onboarding, { config, keyPrefix, dispatcher: deps.dispatcher, now, sweepIntervalMs: deps.sweepIntervalMs })
  await registerRoutes(app, config, keyPrefix, now)
  return app
}

async function registerRoutes (app: FastifyInstance, config: Config, keyPrefix: string, now: () => number): Promise<void> {
  const { redis, stores, delivery: { outbox, deliveries }, onboarding: { sessions, logins, dataDeletions } } = app
  const workers = { delivery_worker: app.delivery.health, onboarding_worker: app.onboarding.health, lifecycle_worker: app.lifecycle.health }
  await app.register(operatorRoutes, { store: stores, workers, metrics: app.metrics, isShuttingDown: app.isClosing })

  await app.register(async function browser (scope) {
    // refusals only: a login that succeeds is never counted nor refused, whatever its address
    await scope.register(refusalLimit, { perMinute: config.rateLimit.browserPerMinute, nameSpace: `${keyPrefix}rl:browser:`, redis, now, key: (request) => request.ip })
    await scope.register(browserRoutes, { onboarding: logins, secureCookies: config.secureCookies, redirectUri: config.redirectUri })
  })

  await app.register(async function partnerApi (scope) {
    // limited before authentication, so a brute force of API keys is limited too
    await scope.register(rateLimit, { perMinute: config.rateLimit.apiPerMinute, nameSpace: `${keyPrefix}rl:api:`, redis, key: apiKeyBucket })
    await scope.register(apiAuth, { keys: config.partnerApiKeys })
    scope.addHook('onRequest', async (_request, reply) => { reply.header('cache-control', 'no-store') })
    await scope.register(sessionRoutes, { sessions, onboarding: logins })
    await scope.register(deliveryRoutes, { deliveries })
    await scope.register(dataDeletionApiRoutes, { dataDeletions })
  })

  // Meta's servers call these: no API key (the signature is the authentication) and no rate limit, since
  // Meta calls from shared addresses and retries what is refused; a forged call stops at an HMAC, before
  // any store access
  await app.register(async function metaCallbacks (scope) {
    scope.addHook('onRequest', async (_request, reply) => { reply.header('cache-control', 'no-store') })
    await scope.register(metaSignedRequestRoutes, { appSecret: config.meta.appSecret, outbox, dataDeletions, revocations: app.lifecycle.revocations, now })
    await scope.register(metaWebhookRoutes, {
      appSecret: config.meta.appSecret,
      verifyToken: config.meta.webhookVerifyToken,
      outbox,
      sessions,
      revocations: app.lifecycle.revocations,
      now,
      bodyLimit: Math.max(config.bodyLimitBytes, META_WEBHOOK_BODY_LIMIT)
    })
  })

  // the status page a person opens from Meta: limited per IP like the browser routes (its refusals, i.e. unknown
  // confirmation codes, which is what guessing looks like), with its own counter
  await app.register(async function dataDeletionPage (scope) {
    await scope.register(refusalLimit, { perMinute: config.rateLimit.browserPerMinute, nameSpace: `${keyPrefix}rl:deletion-page:`, redis, now, key: (request) => request.ip })
    await scope.register(dataDeletionPageRoutes, { dataDeletions })
  })
}
