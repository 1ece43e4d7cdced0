// Bearer keys for /v1. Each presented key is hashed and compared with every configured key's hash in
// constant time, so neither the comparison nor the number of keys tried leaks through timing.
import { createHash, timingSafeEqual } from 'node:crypto'
import fp from 'fastify-plugin'
import { ProblemError } from '../../lib/problems.js'

const digest = (value: string): Buffer => createHash('sha256').update(value).digest()

/** `compare` is timingSafeEqual; the tests pass a spy to check that every key is compared, always */
export function keyMatcher (keys: readonly string[], compare: (a: Buffer, b: Buffer) => boolean = timingSafeEqual): (presented: string) => boolean {
  const hashes = keys.map(digest)
  return (presented) => {
    const candidate = digest(presented)
    let match = false
    // no early exit: a match on the first key takes as long as no match at all
    for (const hash of hashes) match = compare(hash, candidate) || match
    return match
  }
}

/** registered inside a route scope: every route of that scope needs a key */
export default fp<{ keys: readonly string[] }>(async function apiAuth (app, { keys }) {
  const matches = keyMatcher(keys)
  app.addHook('onRequest', async (request) => {
    const header = request.headers.authorization
    const presented = typeof header === 'string' && /^Bearer [^\s]+$/i.test(header) ? header.slice(7) : null
    if (presented === null || !matches(presented)) {
      throw new ProblemError('unauthorized', presented === null
        ? 'Send one of the partner API keys as Authorization: Bearer <key>'
        : 'The API key is not valid', { headers: { 'www-authenticate': 'Bearer realm="messenger-onboarding"' } })
    }
  })
}, { name: 'api-auth' })
