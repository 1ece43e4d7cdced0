// A scheduled attempt of a session that is `processing`: a job of the `onboarding` queue, keyed by the session ID
// (so a session has one job at most), made by whichever instance's worker takes it. It claims the session, as a
// request does, so that exactly one attempt works on a session at a time, reads the token the vault kept, and runs
// the steps after the exchange again (never the exchange: the code is spent).
import type { FastifyBaseLogger } from 'fastify'
import type { NextStep } from '../jobs/job-queue.js'
import { tracing } from '../observability/tracing.js'
import type { TokenVault } from '../sessions/token-vault.js'
import { isChosen } from '../store/records.js'
import type { SessionStore } from '../store/session-store.js'
import { OnboardingFailure } from './onboarding-failure.js'
import { OnboardingInterrupted } from './onboarding-interrupted.js'
import type { Outcomes } from './outcomes.js'
import { finishOnboarding, outcomeOf, type PipelineDeps } from './pipeline.js'

export interface ResumptionDeps {
  sessions: Pick<SessionStore, 'claimSession' | 'releaseSession'>
  tokens: TokenVault
  pipeline: PipelineDeps
  outcomes: Outcomes
  /** longer than one attempt can take: the shared budget of the steps after the exchange, and a margin */
  claimMs: number
  log: FastifyBaseLogger
}

/** another request or instance holds the session: look again shortly */
const CLAIMED_RETRY_MS = 5000

export class Resumption {
  constructor (private readonly deps: ResumptionDeps) {}

  /** in a span of its own: the outcome it decides links its webhook to this attempt */
  async attempt (sessionId: string): Promise<NextStep> {
    return await tracing().span('onboarding attempt', { attributes: { 'onboarding.session_id': sessionId } }, () => this.#attempt(sessionId))
  }

  async #attempt (sessionId: string): Promise<NextStep> {
    const { sessions, tokens, outcomes, log } = this.deps
    const claim = await sessions.claimSession(sessionId, this.deps.claimMs)
    if (!claim.claimed) return { next: 'retry', delayMs: CLAIMED_RETRY_MS }
    const session = claim.session
    try {
      if (!session || session.status !== 'processing' || !isChosen(session)) {
        await sessions.releaseSession(sessionId)
        return { next: 'done' }
      }
      const attempts = (session.processing?.attempts ?? 1) + 1
      const held = await tokens.read(sessionId)
      const outcome = held
        ? await outcomeOf(() => finishOnboarding(this.deps.pipeline, session, held))
        : new OnboardingFailure('upstream_unavailable', 'The token is no longer stored: the session outlived its retention')
      if (outcome instanceof OnboardingInterrupted) {
        log.info({ session_id: sessionId, attempt: attempts, err: outcome.metaError }, 'onboarding attempt interrupted')
        const next = await outcomes.interrupted(session, outcome, attempts)
        return next.delayMs === undefined ? { next: 'done' } : { next: 'retry', delayMs: next.delayMs }
      }
      const decided = await outcomes.decide(session, outcome)
      log.info({ session_id: sessionId, attempt: attempts, status: decided.status }, 'processing session decided')
      return { next: 'done' }
    } catch (err) {
      // the store failed: the queue tries again later, and the claim must not hold it off until it expires
      await sessions.releaseSession(sessionId).catch(() => {})
      throw err
    }
  }
}
