// Revocation (README, "Lifecycle"): a business removed the app (Meta's `business_integration_uninstall`
// webhook) or a person did (the deauthorize callback). Each completed session concerned is revoked once: its
// `revoked_at` set, its expiry notices cancelled, it leaves the indexes a later revocation reads, and the event
// `onboarding.revoked` is written in that same step. Its status stays `completed`.
import type { FastifyBaseLogger } from 'fastify'
import type { Config } from '../config/config.js'
import { StoreUnavailableError } from '../lib/problems.js'
import type { Metrics } from '../observability/metrics.js'
import type { Outbox } from '../outbox/outbox.js'
import type { SessionStore } from '../store/session-store.js'
import { revokedEvent, type RevocationReason } from '../webhooks/lifecycle-events.js'

export interface RevocationsDeps {
  config: Pick<Config, 'retentionSeconds'>
  sessions: Pick<SessionStore, 'getSession' | 'completedSessionsOfUser'>
  outbox: Pick<Outbox, 'recordSessionChange'>
  metrics: Metrics
  log: FastifyBaseLogger
  now: () => number
}

/** at most this many sessions of one person are revoked by one callback: far above what a person completes */
const USER_SESSIONS_LIMIT = 1000
/** a session changed by provisioning between the read and the write is read again, a few times */
const WRITE_TRIES = 5

export class Revocations {
  constructor (private readonly deps: RevocationsDeps) {}

  /** the completed flow 2 sessions of a person who removed the app (not yet revoked) */
  async ofUser (userId: string): Promise<string[]> {
    const since = this.deps.now() - this.deps.config.retentionSeconds * 1000
    return await this.deps.sessions.completedSessionsOfUser(userId, since, USER_SESSIONS_LIMIT)
  }

  /** revokes each session not revoked yet; resolves with how many this call revoked */
  async revoke (sessionIds: readonly string[], reason: RevocationReason, requestId?: string): Promise<number> {
    let revoked = 0
    for (const id of sessionIds) if (await this.#revoke(id, reason, requestId)) revoked++
    return revoked
  }

  async #revoke (sessionId: string, reason: RevocationReason, requestId: string | undefined): Promise<boolean> {
    const { sessions, outbox, metrics, log, now } = this.deps
    for (let tries = 0; tries < WRITE_TRIES; tries++) {
      const session = await sessions.getSession(sessionId)
      if (!session || session.status !== 'completed' || session.revoked_at) return false
      const revokedAt = new Date(now()).toISOString()
      const event = revokedEvent(session, reason, revokedAt, now())
      const landed = await outbox.recordSessionChange({
        sessionId,
        update: { expected: session, next: { ...session, revoked_at: revokedAt } },
        cancelNotices: true,
        leaveOwners: true
      }, event, { requestId })
      if (landed) {
        metrics.sessionEvents.inc({ type: 'revoked' })
        log.info({ session_id: sessionId, event_id: event.id, reason, request_id: requestId }, 'session revoked')
        return true
      }
    }
    throw new StoreUnavailableError(new Error(`session ${sessionId} kept changing while it was being revoked`))
  }
}
