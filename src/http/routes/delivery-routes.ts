// Dead letters and redelivery for the partner platform (/v1/deliveries).
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import type { Deliveries } from '../../webhooks/deliveries.js'

const listQuery = z.strictObject({
  status: z.enum(['dead', 'pending', 'delivered'], { error: 'must be one of dead, pending, delivered' }).default('dead'),
  limit: z.string().regex(/^\d{1,4}$/, 'must be a whole number from 1 to 1000').default('100')
    .transform(Number).pipe(z.number().min(1, 'must be at least 1').max(1000, 'must be at most 1000')),
  cursor: z.string().max(200, 'is not one this service issued').optional()
})

export const deliveryRoutes: FastifyPluginAsyncZod<{ deliveries: Deliveries }> = async (app, { deliveries }) => {
  app.get('/v1/deliveries', { schema: { querystring: listQuery } }, async (request) => {
    const { status, limit, cursor } = request.query
    return await deliveries.list(status, limit, cursor)
  })

  app.post('/v1/deliveries/:id/redeliver', { schema: { params: z.object({ id: z.string() }) } }, async (request, reply) => {
    return reply.code(202).send(await deliveries.redeliver(request.params.id))
  })
}
