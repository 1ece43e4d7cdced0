// How a login ends, whoever ends it (the request that brought the code, or a scheduled attempt of a session that
// is processing): decided, completed or failed, through the outbox with its webhook; or interrupted by a Meta
// failure that passes with time, and then `processing` until the next attempt of ONBOARDING_RETRY_SCHEDULE.
import type { FastifyBaseLogger } from 'fastify'
import type { JobQueue } from '../jobs/job-queue.js'
import type { Metrics } from '../observability/metrics.js'
import type { Outbox } from '../outbox/outbox.js'
import type { OutcomeFollowUps } from '../store/outbox-store.js'
import type { ChosenSession, SessionRecord } from '../store/records.js'
import type { SessionStore } from '../store/session-store.js'
import { completedEvent, failedEvent, type WebhookEvent } from '../webhooks/events.js'
import { OnboardingFailure } from './onboarding-failure.js'
import type { OnboardingInterrupted } from './onboarding-interrupted.js'
import type { OnboardingSuccess } from './pipeline.js'

/** What a completed onboarding sets going (provisioning, expiry notices): recorded with its outcome, then started. */
export interface CompletedFollowUps {
  /** the session as its outcome writes it, and what is recorded with it */
  plan (session: SessionRecord): { session: SessionRecord; followUps: OutcomeFollowUps }
  /**
   * starts them once the outcome is written, with the session as written and the token in hand; never rejects
   * (what cannot be started or queued is left to the sweeps)
   */
  start (session: SessionRecord, followUps: OutcomeFollowUps, accessToken: string): Promise<void>
}

export interface OutcomesDeps {
  followUps?: CompletedFollowUps | undefined
  outbox: Outbox
  sessions: Pick<SessionStore, 'recordProcessing'>
  /** where a session that turns processing gets its next attempt */
  resumptions: Pick<JobQueue, 'add'>
  metrics: Metrics
  /** the delays between attempts: N delays = N+1 attempts, the one in the request included */
  retryScheduleMs: number[]
  retentionSeconds: number
  log: FastifyBaseLogger
  now: () => number
}

export class Outcomes {
  constructor (private readonly deps: OutcomesDeps) {}

  /** the outcome and its event, through the outbox: written together, then the first attempt starts */
  async decide (session: ChosenSession, outcome: OnboardingFailure | OnboardingSuccess, requestId?: string): Promise<SessionRecord> {
    const { outbox, metrics } = this.deps
    const now = this.deps.now()
    const nowIso = new Date(now).toISOString()
    let event: WebhookEvent
    let decided: SessionRecord
    if (outcome instanceof OnboardingFailure) {
      const error = outcome.toError()
      event = failedEvent(session, error, now)
      decided = { ...session, status: 'failed', completed_at: nowIso, error, event_id: event.id, processing: null }
    } else {
      event = completedEvent(session, outcome.result, outcome.accessToken, now)
      decided = { ...session, status: 'completed', completed_at: nowIso, result: outcome.result, event_id: event.id, processing: null }
    }
    const planned = this.deps.followUps?.plan(decided) ?? { session: decided, followUps: {} }
    // once written, the event survives anything; its first attempt starts without waiting for it, and so do the follow-ups
    await outbox.recordOutcome(planned.session, event, { requestId, followUps: planned.followUps })
    metrics.sessions.inc({ flow: session.flow, outcome: decided.status, error: decided.error?.code ?? '' })
    // not awaited: a job added to Redis must not lengthen the admin's wait (start never rejects)
    if (!(outcome instanceof OnboardingFailure) && this.deps.followUps) this.deps.followUps.start(planned.session, planned.followUps, outcome.accessToken).catch(() => {})
    return planned.session
  }

  /**
   * The `attempts`-th attempt was interrupted: the session is processing until the next one, at the schedule's
   * delay or Meta's own estimate when longer; once the schedule has run out, it fails `upstream_unavailable`.
   * `delayMs` is undefined when the session was decided.
   */
  async interrupted (session: ChosenSession, interruption: OnboardingInterrupted, attempts: number, requestId?: string): Promise<{ session: SessionRecord; delayMs?: number }> {
    const { retryScheduleMs, sessions, metrics, now } = this.deps
    const scheduled = retryScheduleMs[attempts - 1]
    if (scheduled === undefined) {
      const error = interruption.toError()
      const failure = new OnboardingFailure('upstream_unavailable', error.message, error.meta ? { meta: error.meta } : {})
      return { session: await this.decide(session, failure, requestId) }
    }
    const delayMs = Math.max(scheduled, interruption.waitMs)
    const processing = { attempts, next_attempt_at: new Date(now() + delayMs).toISOString(), last_error: interruption.toError() }
    const record: SessionRecord = { ...session, status: 'processing', processing }
    // kept beyond the rest of the schedule (this delay, then those after it), then as long as any finished session
    const leftMs = delayMs + retryScheduleMs.slice(attempts).reduce((sum, ms) => sum + ms, 0)
    await sessions.recordProcessing(record, this.deps.retentionSeconds + Math.ceil(leftMs / 1000))
    if (attempts === 1) {
      metrics.sessions.inc({ flow: session.flow, outcome: 'processing', error: '' })
      // a later attempt moves its own job; the first needs one. If it cannot be added now, the resumption sweep
      // adds it once the attempt is due: the session is already recorded as processing
      await this.deps.resumptions.add(session.id, delayMs).catch((err: unknown) => {
        this.deps.log.warn({ err, session_id: session.id }, 'the next attempt could not be queued; the resumption sweep will queue it')
      })
    }
    return { session: record, delayMs }
  }
}
