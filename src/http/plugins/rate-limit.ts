// The partner API's limit: @fastify/rate-limit as an explicit onRequest hook of the API's route group, so it
// counts every request before authentication (a brute force of API keys is limited too) and all routes of the
// group share one counter per key. Redis-backed when Redis is used, so every instance counts together. The pages
// a person opens count only what they refuse instead: refusal-limit.ts.
import { createHash } from 'node:crypto'
import rateLimit from '@fastify/rate-limit'
import type { FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import type { RedisConnection } from '../../store/redis/redis-client.js'
import { ProblemError } from '../../lib/problems.js'

export interface RateLimitOptions {
  perMinute: number
  nameSpace: string
  /** where every instance counts together; without it, each instance counts alone */
  redis: RedisConnection | null
  key: (request: FastifyRequest) => string
}

/** requests per minute per API key: the key itself is never written to Redis, only a short hash of it */
export const apiKeyBucket = (request: FastifyRequest): string => {
  const header = request.headers.authorization
  return typeof header === 'string' ? createHash('sha256').update(header).digest('base64url').slice(0, 22) : `ip:${request.ip}`
}

/** the answer past a limit, with the seconds until its window ends (at least 1) */
export const rateLimited = (resetInMs: number): ProblemError => {
  const seconds = Math.max(1, Math.ceil(resetInMs / 1000))
  return new ProblemError('rate_limited', `Too many requests; try again in ${seconds} s`, { headers: { 'retry-after': String(seconds) } })
}

/** registered inside a route scope: `perMinute` 0 turns the limit off */
export default fp<RateLimitOptions>(async function scopeRateLimit (app, options) {
  if (options.perMinute === 0) return
  await app.register(rateLimit, {
    global: false,
    ...(options.redis ? { redis: options.redis } : {}),
    nameSpace: options.nameSpace,
    // the store failing must not fail the request: the route's own store call answers 503 if Redis is down
    skipOnError: true
  })
  app.addHook('onRequest', app.rateLimit({
    max: options.perMinute,
    timeWindow: 60_000,
    keyGenerator: options.key,
    errorResponseBuilder: (_request, context) => rateLimited(context.ttl)
  }))
}, { name: 'rate-limit' })
