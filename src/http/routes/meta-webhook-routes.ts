// Meta's Webhooks product for the app (README, "Meta's app callbacks"): the verification handshake and the signed notifications,
// e.g. the Business Integration fields `business_integration_install` / `_uninstall` / `_update`. Each change
// becomes one `meta.app_event`; all the changes of one notification are accepted together or not at all. A
// Business Integration change also names the completed sessions of its business, read just before the write.
import { createHash, timingSafeEqual } from 'node:crypto'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { appWebhookChanges, type AppWebhookChange } from '../../meta/app-webhook-payload.js'
import { businessManagerId, isBusinessIntegration } from '../../meta/business-integration.js'
import { verifyHubSignature } from '../../meta/app-webhook-signature.js'
import { ProblemError } from '../../lib/problems.js'
import { newEventId } from '../../lib/ids.js'
import type { Revocations } from '../../lifecycle/revocations.js'
import type { Outbox } from '../../outbox/outbox.js'
import type { Sessions } from '../../sessions/sessions.js'
import { appEvent, type SessionsOfBusiness } from '../../webhooks/meta-events.js'
import { requireContentType } from '../plugins/require-content-type.js'

export interface MetaWebhookRoutesOptions {
  appSecret: string
  /** META_WEBHOOK_VERIFY_TOKEN; unset = the routes answer 404 */
  verifyToken: string | undefined
  outbox: Outbox
  /** the completed sessions of a business, which Business Integration events name */
  sessions: Pick<Sessions, 'completedOfBusiness'>
  /** a business that removes the app (business_integration_uninstall) revokes its completed sessions */
  revocations: Pick<Revocations, 'revoke'>
  now: () => number
  /** Meta batches up to 1000 changes in one notification: this route takes more than BODY_LIMIT_BYTES */
  bodyLimit: number
}

// Meta's challenge is a number; anything outside this set is not reflected
const handshakeQuery = z.object({
  'hub.mode': z.string().max(64, 'is too long').optional(),
  'hub.verify_token': z.string().max(1024, 'is too long').optional(),
  'hub.challenge': z.string().regex(/^[A-Za-z0-9._~-]{1,256}$/, 'must be 1–256 letters, digits or . _ ~ -').optional()
})

const UNINSTALL = 'business_integration_uninstall'

const digest = (value: string): Buffer => createHash('sha256').update(value).digest()

/**
 * The completed sessions of each business the Business Integration changes name, one read per business. A read
 * before the write: a session completed while the notification is being recorded may be missing from it.
 */
async function sessionsOfBusinesses (changes: AppWebhookChange[], sessions: MetaWebhookRoutesOptions['sessions']): Promise<SessionsOfBusiness> {
  const businesses = new Set(changes.filter(isBusinessIntegration).map(businessManagerId).filter((id) => id !== null))
  return new Map(await Promise.all([...businesses].map(async (id) => [id, await sessions.completedOfBusiness(id)] as const)))
}

export const metaWebhookRoutes: FastifyPluginAsyncZod<MetaWebhookRoutesOptions> = async (app, { appSecret, verifyToken, outbox, sessions, revocations, now, bodyLimit }) => {
  // the signature is over the exact bytes: this scope keeps JSON bodies raw and parses them after the check
  app.removeContentTypeParser('application/json')
  app.addContentTypeParser('application/json', { parseAs: 'buffer', bodyLimit }, (_request, body, done) => { done(null, body) })
  app.addHook('onRequest', async () => {
    if (verifyToken === undefined) throw new ProblemError('not_found', 'Meta app webhooks are not enabled on this service')
  })
  app.addHook('onRequest', requireContentType('application/json'))
  // compared as digests, so neither the length nor the first differing byte of the token shows in the timing
  const expectedToken = digest(verifyToken ?? '')

  app.get('/meta/webhooks', { schema: { querystring: handshakeQuery } }, async (request, reply) => {
    const { 'hub.mode': mode, 'hub.verify_token': token, 'hub.challenge': challenge } = request.query
    const tokenMatches = token !== undefined && timingSafeEqual(digest(token), expectedToken)
    if (!tokenMatches || mode !== 'subscribe') {
      throw new ProblemError('verify_token_mismatch', 'hub.mode must be subscribe and hub.verify_token must be the configured verify token')
    }
    if (challenge === undefined) {
      throw new ProblemError('invalid_request', 'hub.challenge is required', { errors: [{ field: 'hub.challenge', message: 'is required' }] })
    }
    return reply.type('text/plain; charset=utf-8').send(challenge)
  })

  app.post('/meta/webhooks', { bodyLimit }, async (request) => {
    const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0)
    if (!verifyHubSignature(raw, request.headers['x-hub-signature-256'], appSecret)) {
      throw new ProblemError('invalid_signature', 'X-Hub-Signature-256 is missing or is not the signature of this body',
        { headers: { 'www-authenticate': 'X-Hub-Signature-256 realm="meta-app-webhooks"' } })
    }
    const changes = appWebhookChanges(raw)
    const sessionsOf = await sessionsOfBusinesses(changes, sessions)
    const at = now()
    // the events of one notification are recorded in one step, so they are kept beside one another
    const near = newEventId()
    const events = changes.map((change) => appEvent(change, at, sessionsOf, near))
    await outbox.recordEvents(events, { requestId: request.id })
    // answered only once the revocations are written: should one fail, Meta delivers the notification again
    let revoked = 0
    for (const change of changes.filter((c) => c.field === UNINSTALL && isBusinessIntegration(c))) {
      const businessId = businessManagerId(change)
      if (businessId !== null) revoked += await revocations.revoke(sessionsOf.get(businessId) ?? [], 'business_integration_uninstall', request.id)
    }
    return { status: 'accepted', events: events.length + revoked }
  })
}
