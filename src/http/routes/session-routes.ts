// The partner API: open a session, read it, submit a JS SDK code.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { SESSION_ID } from '../../lib/ids.js'
import { FLOW_NAMES } from '../../flows/flows.js'
import type { Onboarding } from '../../onboarding/onboarding.js'
import { ProblemError } from '../../lib/problems.js'
import type { Sessions } from '../../sessions/sessions.js'

const METADATA_MAX_BYTES = 4096

const flowName = z.enum(FLOW_NAMES, { error: `must be one of ${FLOW_NAMES.join(', ')}` })

// `flow` fixes the session's flow; `flows` lets the admin choose among them; neither: every enabled flow
const createBody = z.strictObject({
  flow: flowName.optional(),
  flows: z.array(flowName, { error: 'must be an array of flow names' }).min(1, 'must name at least one flow').optional(),
  external_id: z.string().regex(/^[A-Za-z0-9._:-]{1,128}$/, 'must be 1–128 characters of A-Z a-z 0-9 . _ : -').optional(),
  return_url: z.string().max(2048, 'must be at most 2048 characters').optional(),
  metadata: z.record(z.string(), z.unknown()).refine(
    (m) => Buffer.byteLength(JSON.stringify(m)) <= METADATA_MAX_BYTES,
    `must be at most ${METADATA_MAX_BYTES} bytes serialized`
  ).optional()
}).refine((body) => body.flow === undefined || body.flows === undefined, {
  path: ['flows'], message: 'must not be given together with flow'
})

const sessionParams = z.object({ id: z.string() })
const codeBody = z.strictObject({ code: z.string().min(1, 'is required').max(2048, 'must be at most 2048 characters') })

export const sessionRoutes: FastifyPluginAsyncZod<{ sessions: Sessions; onboarding: Onboarding }> = async (app, { sessions, onboarding }) => {
  const find = (id: string) => {
    if (!SESSION_ID.test(id)) throw new ProblemError('session_not_found', `No session ${id.slice(0, 64)}`)
    return sessions.get(id)
  }

  app.post('/v1/sessions', { schema: { body: createBody } }, async (request, reply) => {
    const session = await sessions.create(request.body)
    return reply.code(201).header('location', `/v1/sessions/${session.id}`).send(await sessions.view(session))
  })

  app.get('/v1/sessions/:id', { schema: { params: sessionParams } }, async (request) => {
    return await sessions.view(await find(request.params.id))
  })

  app.post('/v1/sessions/:id/code', { schema: { params: sessionParams, body: codeBody } }, async (request, reply) => {
    const session = await onboarding.pendingSessionForCode((await find(request.params.id)).id)
    request.sessionId = session.id
    // a code from FB.login was never sent to our redirect URI, so the exchange carries none
    const outcome = await onboarding.complete(session, { code: request.body.code, redirectUri: undefined }, request.id)
    // processing: accepted, and its outcome will come as the session's webhook
    return reply.code(outcome.status === 'processing' ? 202 : 200).send(await sessions.view(outcome))
  })
}
