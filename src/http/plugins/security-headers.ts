// Headers every response carries, and the stricter ones of HTML pages (README, "Security in short").
import fp from 'fastify-plugin'
import { CONTENT_SECURITY_POLICY } from '../html.js'

export default fp<{ hsts: boolean }>(async function securityHeaders (app, { hsts }) {
  app.addHook('onSend', async (_request, reply, payload) => {
    reply.header('x-content-type-options', 'nosniff')
    reply.header('referrer-policy', 'no-referrer')
    if (hsts) reply.header('strict-transport-security', 'max-age=31536000; includeSubDomains')
    if (String(reply.getHeader('content-type') ?? '').startsWith('text/html')) {
      reply.header('content-security-policy', CONTENT_SECURITY_POLICY)
      reply.header('x-frame-options', 'DENY')
    }
    return payload
  })
}, { name: 'security-headers' })
