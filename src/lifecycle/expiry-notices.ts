// The notices of a flow 2 token's expiry (README, "Lifecycle"): a long-lived user token lasts about 60 days and
// only its person can renew it, so the partner is told TOKEN_EXPIRY_NOTICE before (at once if that moment has
// passed) and when it expires. Both are recorded in the completed outcome's own step (the schedule), then queued
// as delayed jobs of the `lifecycle` queue keyed by the notice; a notice sent or cancelled leaves the schedule
// in the same step as its event is written, so each is sent once whichever instance's job fires. A later completed
// session of the same partner tenant (`external_id`), or else of the same person, supersedes the earlier ones:
// their notices not yet sent leave the schedule in that session's outcome step.
import type { FastifyBaseLogger } from 'fastify'
import type { Config } from '../config/config.js'
import type { JobQueue, NextStep } from '../jobs/job-queue.js'
import type { Metrics } from '../observability/metrics.js'
import { tracing } from '../observability/tracing.js'
import type { Outbox } from '../outbox/outbox.js'
import type { OutcomeFollowUps } from '../store/outbox-store.js'
import { noticeMember, noticeOwner, parseNoticeMember, type NoticeKind, type SessionRecord } from '../store/records.js'
import type { SessionStore } from '../store/session-store.js'
import { noticeEvent } from '../webhooks/lifecycle-events.js'

export interface ExpiryNoticesDeps {
  config: Pick<Config, 'tokenExpiryNoticeMs' | 'retentionSeconds'>
  sessions: Pick<SessionStore, 'getSession'>
  outbox: Pick<Outbox, 'recordSessionChange'>
  metrics: Metrics
  log: FastifyBaseLogger
  now: () => number
}

/** a session is kept this long past its last notice, so a notice delayed by an outage still finds it */
const KEPT_AFTER_LAST_NOTICE_S = 86_400

export class ExpiryNotices {
  constructor (private readonly deps: ExpiryNoticesDeps) {}

  /** what a completed outcome writes: the earlier sessions it supersedes, and its own notices */
  plan (session: SessionRecord): OutcomeFollowUps {
    const result = session.result
    if (session.status !== 'completed' || !result) return {}
    const supersedes = session.external_id !== null
      ? noticeOwner('external_id', session.external_id)
      : result.user_id !== null ? noticeOwner('user_id', result.user_id) : undefined
    const followUps: OutcomeFollowUps = supersedes !== undefined ? { supersedes } : {}
    const expiresAt = result.token_type === 'user' && result.token_expires_at !== null ? Date.parse(result.token_expires_at) : NaN
    const { tokenExpiryNoticeMs, retentionSeconds } = this.deps.config
    if (tokenExpiryNoticeMs === 0 || Number.isNaN(expiresAt)) return followUps
    const now = this.deps.now()
    return {
      ...followUps,
      notices: [
        { member: noticeMember('expiring', session.id), at: Math.max(now, expiresAt - tokenExpiryNoticeMs) },
        { member: noticeMember('expired', session.id), at: Math.max(now, expiresAt) }
      ],
      holders: [
        ...(session.external_id !== null ? [noticeOwner('external_id', session.external_id)] : []),
        ...(result.user_id !== null ? [noticeOwner('user_id', result.user_id)] : [])
      ],
      sessionTtlSeconds: Math.max(retentionSeconds, Math.ceil((expiresAt - now) / 1000) + KEPT_AFTER_LAST_NOTICE_S)
    }
  }

  /** queues the notices once the outcome is written; one that cannot be queued now is left to the sweep */
  async schedule (queue: Pick<JobQueue, 'add'>, followUps: OutcomeFollowUps): Promise<void> {
    const now = this.deps.now()
    for (const { member, at } of followUps.notices ?? []) {
      await queue.add(member, Math.max(0, at - now)).catch((err: unknown) => {
        this.deps.log.warn({ err, notice: member }, 'an expiry notice could not be queued; the notice sweep will queue it')
      })
    }
  }

  /** a notice's job, in a span its event links to: the event, unless it was sent, superseded or cancelled meanwhile */
  async attempt (member: string): Promise<NextStep> {
    const notice = parseNoticeMember(member)
    if (!notice) return { next: 'done' }
    const attributes = { 'onboarding.session_id': notice.sessionId, 'onboarding.notice': notice.kind }
    return await tracing().span('expiry notice', { attributes }, () => this.#attempt(member, notice))
  }

  async #attempt (member: string, notice: { kind: NoticeKind; sessionId: string }): Promise<NextStep> {
    const { sessions, outbox, metrics, log, now } = this.deps
    const session = await sessions.getSession(notice.sessionId)
    if (!session || session.status !== 'completed' || session.revoked_at) {
      // nothing to tell about: the notice only leaves the schedule
      await outbox.recordSessionChange({ sessionId: notice.sessionId, takeNotice: member })
      return { next: 'done' }
    }
    const event = noticeEvent(notice.kind, session, now())
    if (await outbox.recordSessionChange({ sessionId: session.id, takeNotice: member }, event)) {
      metrics.sessionEvents.inc({ type: `token_${notice.kind}` })
      log.info({ session_id: session.id, event_id: event.id, notice: notice.kind }, 'token expiry notice recorded')
    }
    return { next: 'done' }
  }
}
