// The two routes a business admin's browser opens: /login sends it to Meta's dialog with a fresh state;
// /oauth/callback is where Meta sends it back. Both answer with HTML, never cached, never leaking
// the URL (which holds the state or the code) through a Referer.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { z } from 'zod'
import { SECRET_TOKEN, SESSION_ID, newSecretToken } from '../../lib/ids.js'
import type { Onboarding } from '../../onboarding/onboarding.js'
import { ProblemError } from '../../lib/problems.js'
import { returnUrlWithOutcome } from '../../sessions/return-url.js'
import type { SessionRecord } from '../../store/records.js'
import { flowChooserPage } from '../flow-chooser-page.js'
import { htmlPage } from '../html.js'

export interface BrowserRoutesOptions {
  onboarding: Onboarding
  secureCookies: boolean
  /** byte-identical in the dialog URL and in the code exchange */
  redirectUri: string
}

const NONCE_MAX_AGE_SECONDS = 24 * 3600

// Meta may add parameters of its own; only these are read, each bounded so an oversized value is refused
const callbackQuery = z.object({
  state: z.string().max(512, 'is too long').optional(),
  code: z.string().max(4096, 'is too long').optional(),
  error: z.string().max(256, 'is too long').optional(),
  error_reason: z.string().max(256, 'is too long').optional(),
  error_description: z.string().max(1024, 'is too long').optional(),
  error_code: z.string().max(32, 'is too long').optional(),
  // kept cut to 512 characters; a longer message is still Meta's answer, not a reason to refuse it
  error_message: z.string().max(4096, 'is too long').optional()
})

type Outcome = 'completed' | 'failed' | 'processing'

const OUTCOME_PAGES: Record<Outcome, { title: string; text: string }> = {
  completed: { title: 'Your business is connected', text: 'The onboarding is complete. You can close this window and return to the platform that sent you here.' },
  processing: { title: 'Your business is being connected', text: 'Facebook confirmed your sign-in, and we are finishing the connection with Facebook. There is nothing more to do here: the platform that sent you here will be told when it is done. You can close this window.' },
  failed: { title: 'The onboarding did not complete', text: 'Nothing was connected. Return to the platform that sent you here to try again.' }
}

export const browserRoutes: FastifyPluginAsyncZod<BrowserRoutesOptions> = async (app, { onboarding, secureCookies, redirectUri }) => {
  // __Host- binds the cookie to this exact host over https; browsers refuse that prefix without Secure
  const cookieName = secureCookies ? '__Host-mo_nonce' : 'mo_nonce'

  app.addHook('onRequest', async (_request, reply) => {
    reply.header('cache-control', 'no-store')
  })

  const browserNonce = (request: FastifyRequest): string | null => {
    const raw = request.cookies[cookieName]
    if (!raw) return null
    const unsigned = request.unsignCookie(raw)
    return unsigned.valid && unsigned.value !== null && SECRET_TOKEN.test(unsigned.value) ? unsigned.value : null
  }

  app.get('/login/:session_id', {
    config: { html: true },
    schema: {
      params: z.object({ session_id: z.string() }),
      // any other name is answered by the onboarding as a flow this session does not offer (409)
      querystring: z.object({ flow: z.string().max(64, 'is too long').optional() })
    }
  }, async (request, reply) => {
    const { session_id: sessionId } = request.params
    if (!SESSION_ID.test(sessionId)) {
      throw new ProblemError('session_not_found', 'This onboarding link is not valid. Start again from the platform that sent you here.')
    }
    request.sessionId = sessionId
    // one nonce per browser: every state this browser was given stays usable from it
    const nonce = browserNonce(request) ?? newSecretToken()
    const step = await onboarding.startLogin(sessionId, nonce, request.query.flow)
    if (step.kind === 'chooser') {
      return reply.type('text/html; charset=utf-8').send(flowChooserPage(sessionId, step.flows, request.server.pageNotice))
    }
    reply.setCookie(cookieName, nonce, {
      signed: true, httpOnly: true, sameSite: 'lax', secure: secureCookies, path: '/', maxAge: NONCE_MAX_AGE_SECONDS
    })
    return reply.redirect(step.url, 302)
  })

  app.get('/oauth/callback', {
    config: { html: true },
    schema: { querystring: callbackQuery }
  }, async (request, reply) => {
    const { code, state, ...denial } = request.query
    // the state is checked whatever else came back: a redirect with neither a code nor an error still fails its
    // session (no_code), and only the browser the state was given to can make it fail
    // the state is taken and its session claimed for this login, or the browser is told why not
    const session = await onboarding.redeemState(state, browserNonce(request))
    request.sessionId = session.id
    // `error`, then `error_code`, then `code`: a code beside an error is never exchanged
    const answer = code && !denial.error && !denial.error_code ? { code, redirectUri } : { denial }
    const decided = await onboarding.finish(session, answer, request.id)
    return sendOutcome(reply, decided, request.server.pageNotice)
  })
}

function sendOutcome (reply: FastifyReply, session: SessionRecord, notice: string | null): FastifyReply {
  const status: Outcome = session.status === 'completed' || session.status === 'processing' ? session.status : 'failed'
  if (session.return_url) {
    const outcome: Record<string, string> = { session_id: session.id, status }
    if (session.error) outcome.error = session.error.code
    return reply.redirect(returnUrlWithOutcome(session.return_url, outcome), 303)
  }
  const page = OUTCOME_PAGES[status]
  // Meta's own words for an app set-up problem (error_code without error) tell the admin what to ask for;
  // htmlPage escapes them
  const said = session.error?.meta?.error_message
  const paragraphs = typeof said === 'string' ? [page.text, `Meta said: ${said}`] : [page.text]
  return reply.type('text/html; charset=utf-8').send(htmlPage(page.title, paragraphs, session.error?.code, notice))
}
