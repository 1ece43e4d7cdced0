// Provisioning: what follows a completed onboarding so that the business is ready to send (README, "Ready to
// send"). A durable job of its own (BullMQ queue `provisioning`, keyed by the session ID), recorded with the
// outcome and started after it, so it never delays the browser's answer nor the `onboarding.completed` webhook.
// Its attempts follow ONBOARDING_RETRY_SCHEDULE while Meta fails in a way that passes with time; each claims the
// session, as a resumed onboarding does, so one attempt at a time works on it. It ends in one
// `onboarding.provisioned` event, written with the session's `provisioning: done` and the held token's deletion.
import type { FastifyBaseLogger } from 'fastify'
import { provisioningEnabled, type Config } from '../config/config.js'
import type { NextStep } from '../jobs/job-queue.js'
import type { Metrics } from '../observability/metrics.js'
import { tracing } from '../observability/tracing.js'
import type { Outbox } from '../outbox/outbox.js'
import type { TokenVault } from '../sessions/token-vault.js'
import type { OutcomeFollowUps } from '../store/outbox-store.js'
import { isChosen, type ChosenSession, type ProvisioningState, type SessionRecord } from '../store/records.js'
import type { SessionStore } from '../store/session-store.js'
import { provisionedEvent } from '../webhooks/lifecycle-events.js'
import { runChecks, uncheckedOutcome, type ChecksDeps, type ChecksOutcome } from './provisioning-checks.js'

export interface ProvisioningDeps extends ChecksDeps {
  config: Pick<Config, 'provisioning' | 'onboardingRetryScheduleMs'>
  sessions: Pick<SessionStore, 'claimSession' | 'releaseSession'>
  tokens: Pick<TokenVault, 'read'>
  outbox: Pick<Outbox, 'recordSessionChange'>
  metrics: Metrics
  /** longer than one attempt can take */
  claimMs: number
  log: FastifyBaseLogger
  now: () => number
}

/** a completed session whose provisioning is still to be done */
const awaitsProvisioning = (session: SessionRecord): session is ChosenSession & { provisioning: ProvisioningState } =>
  session.status === 'completed' && session.provisioning?.status === 'pending' && isChosen(session)

/** another attempt holds the session, or it changed under this one: look again shortly */
const BUSY_RETRY_MS = 1000

/** each attempt in a span of its own: the provisioned event links its webhook to the attempt that decided it */
const traced = (sessionId: string, attempt: () => Promise<NextStep>): Promise<NextStep> =>
  tracing().span('provisioning attempt', { attributes: { 'onboarding.session_id': sessionId } }, attempt)

export class Provisioning {
  constructor (private readonly deps: ProvisioningDeps) {}

  get enabled (): boolean { return provisioningEnabled(this.deps.config) }

  /** a completed session as its outcome writes it: provisioning pending, and due at once */
  plan (session: SessionRecord): { session: SessionRecord; followUps: OutcomeFollowUps } {
    if (!this.enabled || session.status !== 'completed') return { session, followUps: {} }
    const provisioning: ProvisioningState = { status: 'pending', ready: null, warnings: [], attempts: 0, next_attempt_at: null }
    return { session: { ...session, provisioning }, followUps: { provisioningDueAt: this.deps.now() } }
  }

  /**
   * The first attempt, made at once by the instance that recorded the outcome, with the session as it wrote it
   * and the token it holds: no claim, no read, no unsealing. It needs no claim because nothing else attempts a
   * session this early: retries are queued by this attempt itself, and the sweep leaves a due provisioning alone
   * for longer than an attempt takes (lifecycle-plugin.ts). Should one run long, the compare-and-set of its
   * write still lets only one attempt record the event.
   */
  async attemptFirst (session: SessionRecord, accessToken: string): Promise<NextStep> {
    if (!awaitsProvisioning(session)) return { next: 'done' }
    return await traced(session.id, () => this.#attempt(session, session.provisioning, accessToken))
  }

  /** a queued attempt (a retry, or one the recording instance left): claimed, and from the stored token */
  async attempt (sessionId: string): Promise<NextStep> {
    return await traced(sessionId, () => this.#queued(sessionId))
  }

  async #queued (sessionId: string): Promise<NextStep> {
    const { sessions } = this.deps
    const claim = await sessions.claimSession(sessionId, this.deps.claimMs)
    if (!claim.claimed) return { next: 'retry', delayMs: BUSY_RETRY_MS }
    try {
      const session = claim.session
      if (!session || !awaitsProvisioning(session)) {
        // nothing to provision (any more): the session is gone or done, and leaves the index the sweep reads
        await this.deps.outbox.recordSessionChange({ sessionId, provisioning: 'done' })
        return { next: 'done' }
      }
      const held = await this.deps.tokens.read(session.id)
      return await this.#attempt(session, session.provisioning, held?.accessToken ?? null)
    } finally {
      await sessions.releaseSession(sessionId).catch(() => {})
    }
  }

  /** `token`: null once the token is no longer stored */
  async #attempt (session: ChosenSession, state: ProvisioningState, token: string | null): Promise<NextStep> {
    const { outbox, config, log, now } = this.deps
    const attempts = (state.attempts ?? 0) + 1
    const outcome: ChecksOutcome = token !== null
      ? await runChecks(this.deps, session, token, state.subscribed_pages ?? [])
      : uncheckedOutcome(config, session, 'The token is no longer stored: provisioning outlived the retention')
    const scheduled = outcome.passing.length > 0 ? config.onboardingRetryScheduleMs[attempts - 1] : undefined
    if (scheduled !== undefined) {
      // Meta's own estimate of a throttled call, when longer than the schedule's delay
      const delayMs = Math.max(scheduled, ...outcome.passing.map((err) => err.regainAccessMs ?? 0))
      const next: SessionRecord = { ...session, provisioning: { ...state, attempts, next_attempt_at: new Date(now() + delayMs).toISOString(), subscribed_pages: outcome.subscribed } }
      const landed = await outbox.recordSessionChange({ sessionId: session.id, update: { expected: session, next }, provisioning: now() + delayMs })
      log.info({ session_id: session.id, attempt: attempts, err: outcome.passing[0] }, 'provisioning attempt interrupted')
      return { next: 'retry', delayMs: landed ? delayMs : BUSY_RETRY_MS }
    }
    const ready = outcome.warnings.length === 0
    const next: SessionRecord = { ...session, provisioning: { status: 'done', ready, warnings: outcome.warnings } }
    const event = provisionedEvent(session, outcome, now())
    const landed = await outbox.recordSessionChange({ sessionId: session.id, update: { expected: session, next }, provisioning: 'done', dropToken: true }, event)
    if (!landed) return { next: 'retry', delayMs: BUSY_RETRY_MS }
    this.deps.metrics.sessionEvents.inc({ type: 'provisioned' })
    log.info({ session_id: session.id, event_id: event.id, attempt: attempts, ready, warnings: outcome.warnings.map((w) => w.code) }, 'session provisioned')
    return { next: 'done' }
  }
}
