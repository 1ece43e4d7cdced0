// The browser's way through an onboarding: login (state + dialog), callback (state check, pipeline,
// outcome) and the JS SDK's code submitted by the partner's back end.
import type { Config } from '../config/config.js'
import { FLOWS, type FlowName } from '../flows/flows.js'
import { SECRET_TOKEN, newSecretToken, sha256 } from '../lib/ids.js'
import { ProblemError } from '../lib/problems.js'
import { buildDialogUrl } from '../meta/dialog-url.js'
import type { MetaClient } from '../meta/meta-client.js'
import type { Metrics } from '../observability/metrics.js'
import { sessionStatus, type SessionStatus } from '../sessions/session-status.js'
import type { Sessions } from '../sessions/sessions.js'
import type { TokenVault } from '../sessions/token-vault.js'
import { allowedFlows, isChosen, type ChosenSession, type OnboardingError, type SessionRecord } from '../store/records.js'
import type { SessionStore } from '../store/session-store.js'
import { OnboardingFailure } from './onboarding-failure.js'
import { OnboardingInterrupted } from './onboarding-interrupted.js'
import type { Outcomes } from './outcomes.js'
import { exchangeCode, finishOnboarding, outcomeOf, type StepsOutcome } from './pipeline.js'

export interface OnboardingDeps {
  config: Config
  store: SessionStore
  sessions: Sessions
  meta: MetaClient
  tokens: TokenVault
  outcomes: Outcomes
  metrics: Metrics
  now: () => number
}

/**
 * What Meta put on the redirect instead of a code: `error` (the admin cancelled or Meta refused), or only
 * `error_code` and `error_message` (the app's set-up, e.g. 1349126 "App Not Setup" or 901 an app in development
 * mode: docs/meta.md, seen in passport-oauth issue 16 and ServiceStack PR 917), or nothing at all (a
 * configuration whose dialog answered with a token in the URL fragment, which no server sees).
 */
export interface LoginDenial {
  error?: string | undefined
  error_reason?: string | undefined
  error_description?: string | undefined
  error_code?: string | undefined
  error_message?: string | undefined
}

export type LoginAnswer = { code: string; redirectUri: string | undefined } | { denial: LoginDenial }

/** what GET /login/{id} does next: send the browser to Meta, or let the admin choose the flow first */
export type LoginStep =
  | { kind: 'dialog'; url: string }
  | { kind: 'chooser'; session: SessionRecord; flows: FlowName[] }

const START_AGAIN = 'Start again from the platform that sent you here.'

const NOT_PENDING: Record<Exclude<SessionStatus, 'pending'>, string> = {
  expired: `This onboarding link has expired. ${START_AGAIN}`,
  processing: 'This onboarding is being finished; the platform that sent you here will be told once it is done. Return to it.',
  completed: 'This onboarding has already completed. Return to the platform that sent you here.',
  failed: 'This onboarding has already ended. Return to the platform that sent you here.'
}

export class Onboarding {
  constructor (private readonly deps: OnboardingDeps) {}

  /** the session if the browser may still log in to it, or the page that says why not */
  #pending (session: SessionRecord | null, notFound: () => ProblemError): SessionRecord {
    if (!session) throw notFound()
    const status = sessionStatus(session, this.deps.now())
    if (status !== 'pending') throw new ProblemError('session_not_pending', NOT_PENDING[status])
    return session
  }

  /**
   * GET /login/{id}: a fresh single-use state bound to this browser's nonce, and the dialog URL. A session
   * whose flow is not chosen yet answers the chooser, unless `requested` names one of its flows: then that
   * flow is fixed first. `requested` on a session whose flow is fixed must name that flow.
   */
  async startLogin (sessionId: string, nonce: string, requested?: string): Promise<LoginStep> {
    const found = this.#pending(await this.deps.store.getSession(sessionId), () => new ProblemError('session_not_found', `This onboarding link is not valid. ${START_AGAIN}`))
    let session: ChosenSession
    if (isChosen(found)) {
      if (requested !== undefined && requested !== found.flow) {
        throw allowedFlows(found).includes(requested as FlowName) ? alreadyChosen() : notOffered()
      }
      session = found
    } else {
      if (requested === undefined) return { kind: 'chooser', session: found, flows: this.#offered(found) }
      session = await this.#choose(found, requested)
    }
    const state = newSecretToken()
    // a state lives as long as its session: the admin may spend many minutes in the dialog creating a portfolio,
    // Page or ad account, and what protects the state is that it is single-use and bound to this browser's
    // nonce, not a short life. At least a second, so a session in its last moments still gets an expiring key.
    const ttlSeconds = Math.max(1, Math.ceil((Date.parse(session.expires_at) - this.deps.now()) / 1000))
    await this.deps.store.putLoginState(sha256(state), { session_id: session.id, nonce_hash: sha256(nonce) }, ttlSeconds)
    const { config } = this.deps
    return {
      kind: 'dialog',
      url: buildDialogUrl({
        dialogUrl: config.meta.dialogUrl,
        graphVersion: config.meta.graphVersion,
        appId: config.meta.appId,
        redirectUri: config.redirectUri,
        state,
        configId: session.config_id,
        overrideDefaultResponseType: FLOWS[session.flow].dialog.overrideDefaultResponseType
      })
    }
  }

  /** the session's flows that this service still runs: a flow disabled since the session was opened is not offered */
  #offered (session: SessionRecord): FlowName[] {
    const offered = allowedFlows(session).filter((flow) => this.deps.config.meta.configIds[flow] !== undefined)
    if (offered.length === 0) throw notOffered()
    return offered
  }

  /** fixes the admin's choice; of two choices racing, the store lets one win and the other sees its flow */
  async #choose (session: SessionRecord, requested: string): Promise<ChosenSession> {
    const flow = this.#offered(session).find((f) => f === requested)
    if (flow === undefined) throw notOffered()
    const chosen = await this.deps.store.chooseFlow(session.id, flow, this.deps.config.meta.configIds[flow]!)
    if (chosen.status === 'missing') throw new ProblemError('session_not_found', `This onboarding no longer exists. ${START_AGAIN}`)
    if (chosen.session.flow !== flow) throw alreadyChosen()
    if (chosen.status === 'chosen') {
      this.deps.metrics.sessions.inc({ flow, outcome: 'created', error: '' })
      this.deps.metrics.flowChoices.inc({ outcome: 'chosen', flow })
    }
    return chosen.session
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
  async pendingSessionForCode (sessionId: string): Promise<ChosenSession> {
    const session = await this.deps.sessions.get(sessionId)
    const status = sessionStatus(session, this.deps.now())
    if (status !== 'pending') throw new ProblemError('session_not_pending', `Session ${session.id} is ${status}`)
    // the code's flow is the configuration FB.login ran with, which only the admin's choice can name
    if (!isChosen(session)) throw notChosen(session.id)
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
      // a state or a /code is only handed out for a chosen flow, and a choice is never undone
      if (!isChosen(current)) throw notChosen(current.id)
      const outcome = await this.#outcome(current, answer)
      // the token is kept and the steps after the exchange are attempted again later: the admin is done here
      if (outcome instanceof OnboardingInterrupted) return (await this.deps.outcomes.interrupted(current, outcome, 1, requestId)).session
      return await this.deps.outcomes.decide(current, outcome, requestId)
    } catch (err) {
      await store.releaseSession(session.id).catch(() => {})
      throw err
    }
  }

  async #outcome (session: ChosenSession, answer: LoginAnswer): Promise<StepsOutcome> {
    if ('denial' in answer) return denialFailure(answer.denial)
    return await outcomeOf(async () => await finishOnboarding(this.deps, session, await exchangeCode(this.deps, session, answer.code, answer.redirectUri)))
  }
}

const notOffered = () => new ProblemError('flow_not_offered',
  `This way of connecting is not offered for this onboarding. Go back and pick one of the options shown, or ${START_AGAIN.toLowerCase()}`)
const alreadyChosen = () => new ProblemError('flow_already_chosen',
  'Another way of connecting was already chosen for this onboarding. Open the onboarding link again to continue with it, or start again from the platform that sent you here to choose differently.')
const notChosen = (id: string) => new ProblemError('flow_not_chosen',
  `Session ${id} lets the admin choose its flow, and none is chosen yet: send the admin to its login_url first`)

/** Meta's message is shown to the admin and kept in the session; a longer one is cut, as the contract says */
const ERROR_MESSAGE_MAX = 512

/** precedence when several are present: `error`, then `error_code` (a `code` beside either is never used) */
function denialFailure (denial: LoginDenial): OnboardingFailure {
  if (denial.error) {
    const meta: OnboardingError['meta'] = { error: denial.error }
    if (denial.error_reason) meta.error_reason = denial.error_reason
    if (denial.error_code) meta.error_code = denial.error_code
    return denial.error === 'access_denied'
      ? new OnboardingFailure('user_denied', 'The admin cancelled the login or declined the permissions', { meta })
      : new OnboardingFailure('login_error', 'Meta ended the login with an error', { meta })
  }
  if (denial.error_code) {
    const meta: OnboardingError['meta'] = { error_code: denial.error_code }
    // cut by code points, so a character outside the BMP is never split in half
    if (denial.error_message) meta.error_message = [...denial.error_message].slice(0, ERROR_MESSAGE_MAX).join('')
    return new OnboardingFailure('login_error', 'Meta ended the login with an error code', { meta })
  }
  // failed at once rather than left pending, so the partner learns of it now and not at expiry
  return new OnboardingFailure('login_error', 'Meta sent the admin back with neither a code nor an error', { meta: { error: 'no_code' } })
}
