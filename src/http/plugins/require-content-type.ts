// An onRequest hook that refuses a body of another media type with 415 before anything reads it, with a
// detail naming the type the route takes (Fastify's own error would name JSON for every route).
import type { FastifyRequest } from 'fastify'
import { ProblemError } from '../../lib/problems.js'

export function requireContentType (mediaType: string): (request: FastifyRequest) => Promise<void> {
  const accepted = new RegExp(`^${mediaType.replace(/[.+]/g, '\\$&')}\\s*(;|$)`, 'i')
  return async (request) => {
    if (request.method !== 'POST') return
    if (!accepted.test(request.headers['content-type'] ?? '')) {
      throw new ProblemError('unsupported_media_type', `The body must be ${mediaType}`)
    }
  }
}
