// A data deletion request after Meta's callback: the status page the person is sent to (the `url` of
// the callback's answer), and the partner API call that marks the deletion done.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import type { DataDeletions, DataDeletionView } from '../../data-deletion/data-deletions.js'
import { htmlPage } from '../html.js'

const codeParams = z.object({ code: z.string() })
const completionBody = z.strictObject({ status: z.literal('completed', { error: 'must be completed' }) })

/** a time a person reads: minutes are enough, and UTC says which clock */
const when = (iso: string): string => `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`

function statusPage (view: DataDeletionView): { title: string; paragraphs: string[] } {
  const paragraphs = [
    `Your request to delete the data this app holds about you was received on ${when(view.received_at)}. Confirmation code: ${view.confirmation_code}.`,
    view.acknowledged_at
      ? `The platform that uses the app acknowledged your request on ${when(view.acknowledged_at)}.`
      : 'The platform that uses the app has not acknowledged your request yet. It is passed on again until it is.'
  ]
  if (view.completed_at) paragraphs.push(`The platform reported on ${when(view.completed_at)} that your data has been deleted.`)
  return { title: view.status === 'completed' ? 'Your data has been deleted' : 'Your data deletion request was received', paragraphs }
}

/** GET /meta/data-deletion/{code}: opened by a person, so errors are HTML pages too */
export const dataDeletionPageRoutes: FastifyPluginAsyncZod<{ dataDeletions: DataDeletions }> = async (app, { dataDeletions }) => {
  app.addHook('onRequest', async (_request, reply) => {
    reply.header('cache-control', 'no-store')
  })
  app.get('/meta/data-deletion/:code', { config: { html: true }, schema: { params: codeParams } }, async (request, reply) => {
    const { title, paragraphs } = statusPage(await dataDeletions.status(request.params.code))
    return reply.type('text/html; charset=utf-8').send(htmlPage(title, paragraphs, undefined, request.server.pageNotice))
  })
}

/** POST /v1/data-deletions/{code}: registered in the partner API's scope (its key, its rate limit) */
export const dataDeletionApiRoutes: FastifyPluginAsyncZod<{ dataDeletions: DataDeletions }> = async (app, { dataDeletions }) => {
  app.post('/v1/data-deletions/:code', { schema: { params: codeParams, body: completionBody } }, async (request) => {
    return await dataDeletions.complete(request.params.code)
  })
}
