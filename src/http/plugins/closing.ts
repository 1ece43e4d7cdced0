// What changes once close() has begun: /readyz reports it (the load balancer stops sending traffic), and a
// request that was in flight ends its connection with its answer, since a kept-alive socket would otherwise hold
// close() open for the whole keep-alive timeout.
import fp from 'fastify-plugin'

declare module 'fastify' {
  interface FastifyInstance {
    /** true from the moment close() begins */
    isClosing: () => boolean
  }
}

export default fp(async function closing (app) {
  let closing = false
  app.decorate('isClosing', () => closing)
  app.addHook('preClose', async () => { closing = true })
  app.addHook('onSend', async (_request, reply, payload) => {
    if (closing) reply.header('connection', 'close')
    return payload
  })
}, { name: 'closing' })
