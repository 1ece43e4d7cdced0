// buildApp(config, deps): the whole service, without listening. Tests build it with their own Redis prefix,
// undici dispatcher and log stream; server.ts builds it from the environment.
import cookie from '@fastify/cookie'
import Fastify, { LogController, type FastifyInstance } from 'fastify'
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod'
import type { Redis } from 'ioredis'
import type { DestinationStream } from 'pino'
import type { Dispatcher } from 'undici'
import type { Config } from './config.js'
import { errorHandler, sendProblem, toProblem } from './http/error-handler.js'
import { loggerOptions, registerRequestLog, requestId } from './http/plugins/request-log.js'
import { registerApiAuth } from './http/plugins/api-auth.js'
import { apiKeyBucket, registerRateLimit } from './http/plugins/rate-limit.js'
import securityHeaders from './http/plugins/security-headers.js'
import { browserRoutes } from './http/routes/browser-routes.js'
import { operatorRoutes } from './http/routes/operator-routes.js'
import { deliveryRoutes } from './http/routes/delivery-routes.js'
import { dataDeletionApiRoutes, dataDeletionPageRoutes } from './http/routes/data-deletion-routes.js'
import { metaSignedRequestRoutes } from './http/routes/meta-signed-request-routes.js'
import { metaWebhookRoutes } from './http/routes/meta-webhook-routes.js'
import { DataDeletions } from './data-deletion/data-deletions.js'
import { sessionRoutes } from './http/routes/session-routes.js'
import { MetaClient } from './meta/meta-client.js'
import { createMetrics } from './metrics.js'
import { Onboarding } from './onboarding/onboarding.js'
import { ProblemError } from './problems.js'
import { MemoryStore } from './sessions/memory-store.js'
import type { Store } from './sessions/records.js'
import { closeRedis, connectRedis, createRedisClient } from './sessions/redis-client.js'
import { RedisStore } from './sessions/redis-store.js'
import { Sessions } from './sessions/sessions.js'
import { Deliverer } from './webhooks/deliverer.js'
import { BullDeliveryQueue } from './webhooks/bullmq-delivery-queue.js'
import { Deliveries } from './webhooks/deliveries.js'
import { EventOutbox } from './webhooks/event-outbox.js'
import { InProcessDeliveryQueue, type DeliveryQueue } from './webhooks/delivery-queue.js'
import { FirstAttemptQueue } from './webhooks/first-attempt-queue.js'
import { OutboxSweep } from './webhooks/outbox-sweep.js'
import { WebhookSender } from './webhooks/webhook-sender.js'
import { WebhookSigner } from './webhooks/signer.js'
import { TokenSealer } from './webhooks/token-sealer.js'

export interface AppDeps {
  /** an existing Redis client (the app does not close it); default: one made from REDIS_URL */
  redis?: Redis
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
}

declare module 'fastify' {
  interface FastifyInstance {
    store: Store
    deliveryQueue: DeliveryQueue
    outboxSweep: OutboxSweep
    /** every route served, as method + pattern: what openapi.yaml is checked against */
    routeTable: Array<{ method: string; url: string }>
    pageNotice: string | null
  }
}

interface OpenedStore { store: Store; redis?: Redis; close: () => Promise<void> }

async function openStore (config: Config, deps: AppDeps, keyPrefix: string, app: FastifyInstance): Promise<OpenedStore> {
  if (deps.redis) return { store: new RedisStore(deps.redis, keyPrefix), redis: deps.redis, close: async () => {} }
  if (config.redisUrl) {
    const redis = createRedisClient(config.redisUrl)
    redis.on('error', (err) => app.log.warn({ err: { type: err.name, message: err.message } }, 'redis connection error'))
    if (!await connectRedis(redis)) app.log.error('Redis does not answer at start-up; /readyz reports 503 until it does')
    return { store: new RedisStore(redis, keyPrefix), redis, close: () => closeRedis(redis) }
  }
  app.log.warn('REDIS_URL is unset: using the in-process store (single instance, nothing survives a restart)')
  const store = new MemoryStore()
  return { store, close: () => store.close() }
}

// A delivery left without a job by an instance that died is queued again by the sweep within
// WEBHOOK_TIMEOUT_MS + margin + interval = the timeout + 15 s (SPEC §5: within the timeout + 30 s).
const SWEEP_INTERVAL_MS = 10_000
const SWEEP_MARGIN_MS = 5000
const DEFAULT_DELIVERY_CONCURRENCY = 32

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
  // the API takes JSON only: a text/plain body is a 415, not a string that fails validation
  app.removeContentTypeParser('text/plain')
  app.setValidatorCompiler(validatorCompiler)
  app.setSerializerCompiler(serializerCompiler)
  app.setErrorHandler(errorHandler)
  app.setNotFoundHandler((request, reply) => sendProblem(notFound(request.method, request.url, false), request, reply, isBrowserPath(request.url)))

  const routeTable: Array<{ method: string; url: string }> = []
  app.decorate('routeTable', routeTable)
  app.decorate('pageNotice', deps.pageNotice ?? null)
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) if (method !== 'HEAD') routeTable.push({ method, url: route.url })
  })

  // the first hook: an oversized URL is refused before anything parses or stores it
  app.addHook('onRequest', async (request) => {
    if (request.url.length > MAX_URL_BYTES) throw new ProblemError('uri_too_long', `The URL is longer than ${MAX_URL_BYTES} bytes`)
  })

  const metrics = createMetrics(now)
  registerRequestLog(app, metrics)
  await app.register(securityHeaders, { hsts: config.secureCookies })
  await app.register(cookie, { secret: config.cookieSecret })

  const { store, redis, close: closeStore } = await openStore(config, deps, keyPrefix, app)
  const sealer = new TokenSealer(config.tokenEncryptionKeys)
  const meta = new MetaClient({ ...config.meta, dispatcher: deps.dispatcher, metrics, now })
  const sender = new WebhookSender({
    url: config.webhook.url,
    timeoutMs: config.webhook.timeoutMs,
    signer: new WebhookSigner(config.webhook.secrets),
    dispatcher: deps.dispatcher,
    now
  })
  const deliverer = new Deliverer({
    store,
    sealer,
    sender,
    metrics,
    now,
    log: app.log,
    retryScheduleMs: config.webhook.retryScheduleMs,
    retentionSeconds: config.retentionSeconds
  })
  const attempt = (eventId: string) => deliverer.attempt(eventId)
  // one bound for every kind of attempt in this instance: first attempts, and queued ones
  const concurrency = deps.deliveryConcurrency ?? DEFAULT_DELIVERY_CONCURRENCY
  let retries: DeliveryQueue
  if (redis) {
    const bull = new BullDeliveryQueue({ redis, prefix: `${keyPrefix}bull`, attempt, log: app.log, webhookTimeoutMs: config.webhook.timeoutMs, concurrency })
    // ready means delivering too: wait (bounded) for the worker's own connection when Redis answers
    if (redis.status === 'ready') await bull.ready(3000)
    retries = bull
  } else {
    retries = new InProcessDeliveryQueue(attempt, app.log, concurrency)
  }
  const queue = new FirstAttemptQueue({
    queue: retries,
    deliver: (delivery, body) => deliverer.deliver(delivery, body),
    log: app.log,
    maxInFlight: concurrency
  })
  const sweep = new OutboxSweep({
    store,
    queue,
    log: app.log,
    retentionSeconds: config.retentionSeconds,
    intervalMs: deps.sweepIntervalMs ?? SWEEP_INTERVAL_MS,
    // older than any first attempt still in flight (see first-attempt-queue.ts)
    minAgeMs: deps.sweepMinAgeMs ?? config.webhook.timeoutMs + SWEEP_MARGIN_MS,
    now,
    onExpired: (flow) => metrics.sessions.inc({ flow, outcome: 'expired', error: '' })
  })
  metrics.queue.source = () => store.deliveryStats()
  const sessions = new Sessions(config, store, metrics, now)
  const deliveries = new Deliveries(store, queue, config.retentionSeconds, now)
  const onboarding = new Onboarding({ config, store, sessions, meta, sealer, deliveries: queue, metrics, now })
  const outbox = new EventOutbox({ store, sealer, queue, retentionSeconds: config.retentionSeconds, now })
  const dataDeletions = new DataDeletions({ config, store, outbox, now })
  app.decorate('store', store)
  app.decorate('deliveryQueue', queue)
  app.decorate('outboxSweep', sweep)
  app.addHook('onReady', async () => { sweep.start() })

  let shuttingDown = false
  app.addHook('preClose', async () => { shuttingDown = true })
  // a request that was in flight when closing began ends its connection with its answer: a kept-alive
  // socket would otherwise hold close() open for the whole keep-alive timeout
  app.addHook('onSend', async (_request, reply, payload) => {
    if (shuttingDown) reply.header('connection', 'close')
    return payload
  })
  // in this order: nothing new is queued, attempts in flight end (bounded), then the store goes
  app.addHook('onClose', async () => {
    await sweep.stop()
    await queue.close(deps.drainTimeoutMs ?? config.webhook.timeoutMs)
    app.log.info('webhook attempts drained')
    await closeStore()
    app.log.info('store closed')
  })

  await app.register(operatorRoutes, { store, queue, metrics, isShuttingDown: () => shuttingDown })

  await app.register(async function browser (scope) {
    await registerRateLimit(scope, {
      perMinute: config.rateLimit.browserPerMinute,
      nameSpace: `${keyPrefix}rl:browser:`,
      redis,
      key: (request) => request.ip
    })
    await scope.register(browserRoutes, { onboarding, secureCookies: config.secureCookies, redirectUri: config.redirectUri })
  })

  await app.register(async function partnerApi (scope) {
    await registerRateLimit(scope, {
      perMinute: config.rateLimit.apiPerMinute,
      nameSpace: `${keyPrefix}rl:api:`,
      redis,
      key: apiKeyBucket
    })
    registerApiAuth(scope, config.partnerApiKeys)
    scope.addHook('onRequest', async (_request, reply) => { reply.header('cache-control', 'no-store') })
    await scope.register(sessionRoutes, { sessions, onboarding })
    await scope.register(deliveryRoutes, { deliveries })
    await scope.register(dataDeletionApiRoutes, { dataDeletions })
  })

  // Meta's servers call these: no API key (the signature is the authentication) and no rate limit, since
  // Meta calls from shared addresses and retries what is refused; a forged call stops at an HMAC, before
  // any store access
  await app.register(async function metaCallbacks (scope) {
    scope.addHook('onRequest', async (_request, reply) => { reply.header('cache-control', 'no-store') })
    await scope.register(metaSignedRequestRoutes, { appSecret: config.meta.appSecret, outbox, dataDeletions, now })
    await scope.register(metaWebhookRoutes, {
      appSecret: config.meta.appSecret,
      verifyToken: config.meta.webhookVerifyToken,
      outbox,
      now,
      bodyLimit: Math.max(config.bodyLimitBytes, META_WEBHOOK_BODY_LIMIT)
    })
  })

  // the status page a person opens from Meta: limited per IP like the browser routes, with its own counter
  await app.register(async function dataDeletionPage (scope) {
    await registerRateLimit(scope, {
      perMinute: config.rateLimit.browserPerMinute,
      nameSpace: `${keyPrefix}rl:deletion-page:`,
      redis,
      key: (request) => request.ip
    })
    await scope.register(dataDeletionPageRoutes, { dataDeletions })
  })

  return app
}
