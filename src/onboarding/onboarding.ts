// The browser's way through an onboarding: login (state + dialog), callback (state check, pipeline,
// outcome) and the JS SDK's code submitted by the partner's back end.
import type { Config } from '../config/config.js'
import { FLOWS, type FlowName } from '../flows/flows.js'
import { SECRET_TOKEN, loginStateSession, newLoginState, sha256 } from '../lib/ids.js'
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

/** how far the store's clock may be from this service's before a state's life is set again by this one */
const CLOCK_TOLERANCE_MS = 2000

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
    const { store, config } = this.deps
    const state = newLoginState(sessionId)
    const stateHash = sha256(state)
    const loginState = { session_id: sessionId, nonce_hash: sha256(nonce) }
    // the session read, and for a pending session with its flow chosen the state stored, in one step
    const opened = await store.openLoginState(stateHash, loginState, config.retentionSeconds)
    let session: ChosenSession
    try {
      const found = this.#pending(opened.session, () => new ProblemError('session_not_found', `This onboarding link is not valid. ${START_AGAIN}`))
      if (isChosen(found)) {
        if (requested !== undefined && requested !== found.flow) {
          throw allowedFlows(found).includes(requested as FlowName) ? alreadyChosen() : notOffered()
        }
        session = found
      } else {
        if (requested === undefined) return { kind: 'chooser', session: found, flows: this.#offered(found) }
        session = await this.#choose(found, requested)
      }
    } catch (err) {
      // a state stored for a login that goes no further is never handed out; it goes at once
      if (opened.ttlMs !== null) await store.discardLoginState(sessionId, stateHash).catch(() => {})
      throw err
    }
    // A state lives as long as its session: the admin may spend many minutes in the dialog creating a portfolio,
    // Page or ad account, and what protects the state is that it is single-use and bound to this browser's nonce,
    // not a short life. At least a second, so a session in its last moments still gets an expiring key.
    const ttlMs = Math.max(1000, Date.parse(session.expires_at) - this.deps.now())
    // stored again when it was not stored with the session (its flow was only just chosen), or when the store's
    // clock gave it a life this service's clock does not agree with
    if (opened.ttlMs === null || Math.abs(opened.ttlMs - ttlMs) > CLOCK_TOLERANCE_MS) {
      await store.putLoginState(stateHash, loginState, Math.ceil(ttlMs / 1000))
    }
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

  /**
   * GET /oauth/callback: the state is taken only with the nonce of the browser it was given to, and its session
   * is claimed for this login and read in the same step (see #claim): the caller finishes it with `finish`.
   */
  async redeemState (state: string | undefined, nonce: string | null): Promise<ChosenSession> {
    const invalid = (detail: string) => new ProblemError('invalid_request', detail)
    const sessionId = state === undefined ? null : loginStateSession(state)
    if (state === undefined || (sessionId === null && !SECRET_TOKEN.test(state))) throw invalid('This sign-in link is not valid. Start again from the platform that sent you here.')
    if (nonce === null) throw invalid('This sign-in was started in another browser, or cookies are blocked. Start again in this browser.')
    // a state issued before states named their session is still taken, in two steps
    if (sessionId === null) return await this.#redeemLegacy(state, nonce)
    const redeemed = await this.deps.store.redeemLoginState(sessionId, sha256(state), sha256(nonce), this.#claimMs)
    if (redeemed.status === 'missing') throw expiredState()
    if (redeemed.status === 'browser_mismatch') throw otherBrowser()
    if (redeemed.status === 'busy') throw beingProcessed()
    return await this.#claimed(sessionId, redeemed.session, () => invalid(NO_LONGER_EXISTS))
  }

  async #redeemLegacy (state: string, nonce: string): Promise<ChosenSession> {
    const taken = await this.deps.store.takeLegacyLoginState(sha256(state), sha256(nonce))
    if (taken.status === 'missing') throw expiredState()
    if (taken.status === 'browser_mismatch') throw otherBrowser()
    return await this.#claim(taken.state.session_id, () => new ProblemError('invalid_request', NO_LONGER_EXISTS))
  }

  /** long enough for the exchange plus the shared budget of the later calls, then some */
  get #claimMs (): number { return 4 * this.deps.config.meta.timeoutMs + 30_000 }

  /**
   * The claim makes one login per session win: a second state of the same session, or a callback racing /code,
   * finds it taken and changes nothing. The session is read under the claim, in the same step, so what is
   * checked is what the login works on; a session that may not be finished (any more) is released at once.
   */
  async #claim (sessionId: string, notFound: () => ProblemError): Promise<ChosenSession> {
    const claim = await this.deps.store.claimSession(sessionId, this.#claimMs)
    if (!claim.claimed) throw beingProcessed()
    return await this.#claimed(sessionId, claim.session, notFound)
  }

  /** the session as read under this login's claim, if it may still be finished; otherwise the claim is let go */
  async #claimed (sessionId: string, session: SessionRecord | null, notFound: () => ProblemError): Promise<ChosenSession> {
    try {
      const current = this.#pending(session, notFound)
      // a state or a /code is only handed out for a chosen flow, and a choice is never undone
      if (!isChosen(current)) throw notChosen(current.id)
      return current
    } catch (err) {
      await this.deps.store.releaseSession(sessionId).catch(() => {})
      throw err
    }
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

  /** POST /v1/sessions/{id}/code: claims the session (see #claim), then runs it to its outcome */
  async complete (session: SessionRecord, answer: LoginAnswer, requestId?: string): Promise<SessionRecord> {
    return await this.finish(await this.#claim(session.id, () => new ProblemError('session_not_found', `No session ${session.id}`)), answer, requestId)
  }

  /**
   * Runs a session this login has claimed to its outcome. `requestId`: the request that brings the answer,
   * kept with the delivery so logs can be followed across.
   */
  async finish (claimed: ChosenSession, answer: LoginAnswer, requestId?: string): Promise<SessionRecord> {
    try {
      const outcome = await this.#outcome(claimed, answer)
      // the token is kept and the steps after the exchange are attempted again later: the admin is done here
      if (outcome instanceof OnboardingInterrupted) return (await this.deps.outcomes.interrupted(claimed, outcome, 1, requestId)).session
      return await this.deps.outcomes.decide(claimed, outcome, requestId)
    } catch (err) {
      await this.deps.store.releaseSession(claimed.id).catch(() => {})
      throw err
    }
  }

  async #outcome (session: ChosenSession, answer: LoginAnswer): Promise<StepsOutcome> {
    if ('denial' in answer) return denialFailure(answer.denial)
    let kept: Promise<void> = Promise.resolve()
    const outcome = await outcomeOf(async () => {
      const exchanged = await exchangeCode(this.deps, session, answer.code, answer.redirectUri)
      kept = exchanged.kept
      return await finishOnboarding(this.deps, session, exchanged.held)
    })
    // the token was being written while Meta was asked about it: it is in the store before any outcome is
    // recorded (a store that failed to keep it propagates, and the login stays as it was)
    await kept
    return outcome
  }
}

const NO_LONGER_EXISTS = 'This onboarding no longer exists. Start again from the platform that sent you here.'
const expiredState = () => new ProblemError('invalid_request', 'This sign-in link has expired or was already used. Start again from the platform that sent you here.')
const otherBrowser = () => new ProblemError('invalid_request', 'This sign-in was started in another browser. Start again in this browser.')
const beingProcessed = () => new ProblemError('session_not_pending', 'This onboarding is already being processed.')
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
