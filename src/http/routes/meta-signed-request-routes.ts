// The two callbacks set in the Meta app's dashboard (README, "Meta's app callbacks"): Meta posts a form with `signed_request` when a
// person removes the app (deauthorize) or asks for their data to be deleted. Called by Meta's servers, not by
// a browser or the partner: no API key, the signature is the authentication. Errors are problem+json.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import type { DataDeletions } from '../../data-deletion/data-deletions.js'
import { SIGNED_REQUEST_MAX_LENGTH, verifySignedRequest } from '../../meta/signed-request.js'
import type { Revocations } from '../../lifecycle/revocations.js'
import type { Outbox } from '../../outbox/outbox.js'
import { deauthorizedEvent } from '../../webhooks/meta-events.js'
import { requireContentType } from '../plugins/require-content-type.js'

export interface MetaSignedRequestRoutesOptions {
  appSecret: string
  outbox: Outbox
  dataDeletions: DataDeletions
  /** a person who removes the app revokes their completed flow 2 sessions */
  revocations: Pick<Revocations, 'ofUser' | 'revoke'>
  now: () => number
}

const FORM = 'application/x-www-form-urlencoded'

// Meta may add fields of its own: only signed_request is read
const formBody = z.object({
  signed_request: z.string({ error: 'is required' }).min(1, 'is required')
    .max(SIGNED_REQUEST_MAX_LENGTH, `must be at most ${SIGNED_REQUEST_MAX_LENGTH} characters`)
})

export const metaSignedRequestRoutes: FastifyPluginAsyncZod<MetaSignedRequestRoutesOptions> = async (app, { appSecret, outbox, dataDeletions, revocations, now }) => {
  // Fastify parses no forms. One field is read, so URLSearchParams is enough and no dependency is added;
  // Object.fromEntries defines own properties, so a field named __proto__ is just a field.
  app.addContentTypeParser(FORM, { parseAs: 'string' }, (_request, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(body as string)))
  })
  app.addHook('onRequest', requireContentType(FORM))

  app.post('/meta/deauthorize', { schema: { body: formBody } }, async (request) => {
    const payload = verifySignedRequest(request.body.signed_request, appSecret)
    await outbox.recordEvents([deauthorizedEvent(payload, now())], { requestId: request.id })
    // answered only once the revocations are written: should one fail, Meta calls again, and each is made once
    const revoked = await revocations.revoke(await revocations.ofUser(payload.user_id), 'deauthorized', request.id)
    return { status: 'accepted', events: 1 + revoked }
  })

  app.post('/meta/data-deletion', { schema: { body: formBody } }, async (request) => {
    return await dataDeletions.request(request.body.signed_request, request.id)
  })
}
