// The browser's way through an onboarding: login (state + dialog), callback (state check, pipeline,
// outcome) and the JS SDK's code submitted by the partner's back end (SPEC §3).
import type { Config } from '../config.js'
import { SECRET_TOKEN, newSecretToken, sha256 } from '../ids.js'
import { buildDialogUrl } from '../meta/dialog-url.js'
import type { MetaClient } from '../meta/meta-client.js'
import type { Metrics } from '../metrics.js'
import { ProblemError } from '../problems.js'
import type { DeliveryRecord, OnboardingError, SessionRecord, Store } from '../sessions/records.js'
import { sessionStatus, type Sessions } from '../sessions/sessions.js'
import { completedEvent, failedEvent, type WebhookEvent } from '../webhooks/events.js'
import type { FirstAttemptQueue } from '../webhooks/first-attempt-queue.js'
import type { TokenSealer } from '../webhooks/token-sealer.js'
import { FLOWS } from './flows.js'
import { OnboardingFailure } from './onboarding-failure.js'
import { runOnboarding } from './pipeline.js'

/** a state lives at most ten minutes (SPEC §3) */
export const STATE_TTL_SECONDS = 600

export interface OnboardingDeps {
  config: Config
  store: Store
  sessions: Sessions
  meta: MetaClient
  sealer: TokenSealer
  deliveries: FirstAttemptQueue
  metrics: Metrics
  now: () => number
}

/** what Meta put on the redirect when the admin cancelled or Meta refused */
export interface LoginDenial { error: string; error_reason?: string | undefined; error_description?: string | undefined; error_code?: string | undefined }

export type LoginAnswer = { code: string; redirectUri: string | undefined } | { denial: LoginDenial }

export class Onboarding {
  constructor (private readonly deps: OnboardingDeps) {}

  /** the session if the browser may still log in to it, or the page that says why not */
  #pending (session: SessionRecord | null, notFound: () => ProblemError): SessionRecord {
    if (!session) throw notFound()
    const status = sessionStatus(session, this.deps.now())
    if (status !== 'pending') {
      throw new ProblemError('session_not_pending', status === 'expired'
        ? 'This onboarding link has expired. Start again from the platform that sent you here.'
        : `This onboarding has already ${status === 'completed' ? 'completed' : 'ended'}. Return to the platform that sent you here.`)
    }
    return session
  }

  /** GET /login/{id}: a fresh single-use state bound to this browser's nonce, and the dialog URL */
  async startLogin (sessionId: string, nonce: string): Promise<string> {
    const session = this.#pending(await this.deps.store.getSession(sessionId), () => new ProblemError('session_not_found', 'This onboarding link is not valid. Start again from the platform that sent you here.'))
    const state = newSecretToken()
    await this.deps.store.putLoginState(sha256(state), { session_id: session.id, nonce_hash: sha256(nonce) }, STATE_TTL_SECONDS)
    const { config } = this.deps
    return buildDialogUrl({
      dialogUrl: config.meta.dialogUrl,
      graphVersion: config.meta.graphVersion,
      appId: config.meta.appId,
      redirectUri: config.redirectUri,
      state,
      configId: session.config_id,
      flow: FLOWS[session.flow]
    })
  }

  /** GET /oauth/callback: the state is taken only with the nonce of the browser it was given to */
  async redeemState (state: string | undefined, nonce: string | null): Promise<SessionRecord> {
    const invalid = (detail: string) => new ProblemError('invalid_request', detail)
    if (state === undefined || !SECRET_TOKEN.test(state)) throw invalid('This sign-in link is not valid. Start again from the platform that sent you here.')
    if (nonce === null) throw invalid('This sign-in was started in another browser, or cookies are blocked. Start again in this browser.')
    const taken = await this.deps.store.takeLoginState(sha256(state), sha256(nonce))
    if (taken.status === 'missing') throw invalid('This sign-in link has expired or was already used. Start again from the platform that sent you here.')
    if (taken.status === 'browser_mismatch') throw invalid('This sign-in was started in another browser. Start again in this browser.')
    return this.#pending(await this.deps.store.getSession(taken.state.session_id), () => invalid('This onboarding no longer exists. Start again from the platform that sent you here.'))
  }

  /** POST /v1/sessions/{id}/code */
  async pendingSessionForCode (sessionId: string): Promise<SessionRecord> {
    const session = await this.deps.sessions.get(sessionId)
    const status = sessionStatus(session, this.deps.now())
    if (status !== 'pending') throw new ProblemError('session_not_pending', `Session ${session.id} is ${status}`)
    return session
  }

  /**
   * Runs the session to its outcome. The claim makes one login per session win: a second state of the same
   * session, or a callback racing /code, finds it taken and changes nothing. `requestId`: the request that
   * brings the answer, kept with the delivery so logs can be followed across.
   */
  async complete (session: SessionRecord, answer: LoginAnswer, requestId?: string): Promise<SessionRecord> {
    const { store, config } = this.deps
    // long enough for the exchange plus the shared budget of the later calls, then some
    const claimMs = 4 * config.meta.timeoutMs + 30_000
    const claim = await store.claimSession(session.id, claimMs)
    if (!claim.claimed) throw new ProblemError('session_not_pending', 'This onboarding is already being processed.')
    try {
      // the session as read under the claim: another request may have finished it since it was first read
      const current = this.#pending(claim.session, () => new ProblemError('session_not_found', `No session ${session.id}`))
      return await this.#decide(current, await this.#outcome(current, answer), requestId)
    } catch (err) {
      await store.releaseSession(session.id).catch(() => {})
      throw err
    }
  }

  async #outcome (session: SessionRecord, answer: LoginAnswer): Promise<OnboardingFailure | Awaited<ReturnType<typeof runOnboarding>>> {
    if ('denial' in answer) return denialFailure(answer.denial)
    try {
      return await runOnboarding(this.deps, session, answer.code, answer.redirectUri)
    } catch (err) {
      if (err instanceof OnboardingFailure) return err
      throw err
    }
  }

  /** the outbox rule: outcome, delivery and sealed event are written together, then the delivery is queued */
  async #decide (session: SessionRecord, outcome: OnboardingFailure | Awaited<ReturnType<typeof runOnboarding>>, requestId?: string): Promise<SessionRecord> {
    const { store, sealer, config, deliveries, metrics } = this.deps
    const now = this.deps.now()
    const nowIso = new Date(now).toISOString()
    let event: WebhookEvent
    let decided: SessionRecord
    if (outcome instanceof OnboardingFailure) {
      const error = outcome.toError()
      event = failedEvent(session, error, now)
      decided = { ...session, status: 'failed', completed_at: nowIso, error, event_id: event.id }
    } else {
      event = completedEvent(session, outcome.result, outcome.accessToken, now)
      decided = { ...session, status: 'completed', completed_at: nowIso, result: outcome.result, event_id: event.id }
    }
    const delivery: DeliveryRecord = { id: event.id, type: event.type, session_id: session.id, status: 'pending', attempts: 0, last_error: null, created_at: nowIso, updated_at: nowIso, ...(requestId ? { request_id: requestId } : {}) }
    await store.recordOutcome({ session: decided, delivery, sealedEvent: sealer.seal(event.body, event.id), retentionSeconds: config.retentionSeconds })
    // stored: from here the event survives anything, and its first attempt starts without waiting
    deliveries.start(delivery, event.body)
    metrics.sessions.inc({ flow: session.flow, outcome: decided.status, error: decided.error?.code ?? '' })
    return decided
  }
}

function denialFailure (denial: LoginDenial): OnboardingFailure {
  const meta: OnboardingError['meta'] = { error: denial.error }
  if (denial.error_reason) meta.error_reason = denial.error_reason
  if (denial.error_code) meta.error_code = denial.error_code
  return denial.error === 'access_denied'
    ? new OnboardingFailure('user_denied', 'The admin cancelled the login or declined the permissions', { meta })
    : new OnboardingFailure('login_error', 'Meta ended the login with an error', { meta })
}
