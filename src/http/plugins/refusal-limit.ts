// The limit of the pages a person's browser opens (/login, /oauth/callback; the data deletion status page): per
// client and minute, only the requests that were REFUSED count — unknown or finished session, bad, expired or
// replayed state, foreign cookie, malformed query, anything the checks answer with a 4xx. Once a client is over
// the limit, what would have been refused is answered 429 instead; the checks still run first, so nothing a
// refused request could not do is done for it (no Meta call). A request that succeeds never counts and is never
// refused: admins behind one office NAT all complete their logins, and a real callback, whose code dies within
// seconds (docs/meta.md), is never thrown away.
//
// @fastify/rate-limit counts in an onRequest hook, before the answer is known, so it cannot count refusals only:
// here the scope's error handler counts, since every refusal of these routes is an error thrown by a check.
// The counter is Redis's when Redis is used (every instance counts together), else this process's; a counter
// that fails lets the refusal through as it is, as @fastify/rate-limit's skipOnError did.
import type { FastifyError, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import type { RedisConnection } from '../../store/redis/redis-client.js'
import { MemoryRateCounter } from '../../store/memory/memory-rate-counter.js'
import type { RateCounter } from '../../store/rate-counter.js'
import { RedisRateCounter } from '../../store/redis/redis-rate-counter.js'
import { errorHandler, sendProblem, toProblem } from '../error-handler.js'
import { rateLimited } from './rate-limit.js'

export interface RefusalLimitOptions {
  /** refusals per client per minute; 0 turns the limit off */
  perMinute: number
  /** the limit's own key space in Redis, so two limits never share a count */
  nameSpace: string
  /** where every instance counts together; without it, this process counts alone */
  redis: RedisConnection | null
  now: () => number
  key: (request: FastifyRequest) => string
}

const WINDOW_MS = 60_000

export default fp<RefusalLimitOptions>(async function refusalLimit (app, options) {
  if (options.perMinute === 0) return
  const counter: RateCounter = options.redis
    ? new RedisRateCounter(options.redis, options.nameSpace, WINDOW_MS)
    : new MemoryRateCounter(WINDOW_MS, options.now)
  app.addHook('onClose', async () => { counter.close() })

  app.setErrorHandler(async function countRefusal (err: FastifyError, request, reply) {
    // every error is answered 4xx or 5xx; a 5xx is this service failing, not the client being refused
    if (toProblem(err).statusCode >= 500) return errorHandler(err, request, reply)
    const window = await counter.hit(options.key(request)).catch(() => null)
    if (window !== null && window.count > options.perMinute) return sendProblem(rateLimited(window.resetInMs), request, reply)
    return errorHandler(err, request, reply)
  })
}, { name: 'refusal-limit' })
