// The outbox's writes across kinds of record, in process: each one synchronous step over the shared tables, so as
// atomic as the Redis scripts (nothing else runs in between).
import type { EventsWrite, OutboxStore, OutcomeWrite, SessionChange } from '../outbox-store.js'
import { businessEntry, noticeMember, userEntry } from '../records.js'
import { copy, joinOwner, NOTICE_KINDS, type Tables } from './memory-tables.js'

export class MemoryOutboxStore implements OutboxStore {
  constructor (private readonly t: Tables) {}

  async recordOutcome ({ session, delivery, sealedEvent, retentionSeconds, followUps = {} }: OutcomeWrite): Promise<void> {
    const t = this.t
    const ttlMs = retentionSeconds * 1000
    const sessionTtlMs = Math.max(retentionSeconds, followUps.sessionTtlSeconds ?? 0) * 1000
    t.sessions.set(session.id, copy(session), sessionTtlMs)
    t.deliveries.set(delivery.id, copy(delivery), ttlMs)
    t.events.set(delivery.id, sealedEvent, ttlMs)
    const token = t.tokens.get(session.id)
    if (followUps.provisioningDueAt !== undefined && token !== undefined) t.tokens.set(session.id, token, ttlMs)
    else t.tokens.delete(session.id)
    t.claims.delete(session.id)
    t.expiries.delete(session.id)
    t.processing.delete(session.id)
    const business = businessEntry(session)
    if (business) joinOwner(t.businessSessions, business.businessId, session.id, business.completedAt, ttlMs)
    const user = userEntry(session)
    if (user) joinOwner(t.userSessions, user.userId, session.id, user.completedAt, ttlMs)
    if (followUps.provisioningDueAt !== undefined) t.provisioning.set(session.id, followUps.provisioningDueAt)
    if (followUps.supersedes !== undefined) {
      for (const id of t.noticeHolders.get(followUps.supersedes) ?? []) for (const kind of NOTICE_KINDS) t.notices.delete(noticeMember(kind, id))
      t.noticeHolders.delete(followUps.supersedes)
    }
    for (const { member, at } of followUps.notices ?? []) t.notices.set(member, at)
    for (const owner of followUps.holders ?? []) {
      const holders = t.noticeHolders.get(owner) ?? new Set<string>()
      holders.add(session.id)
      t.noticeHolders.set(owner, holders, Math.max(sessionTtlMs, t.noticeHolders.ttlMs(owner)))
    }
  }

  async recordSessionChange (change: SessionChange): Promise<boolean> {
    const t = this.t
    const id = change.sessionId
    const current = t.sessions.get(id)
    if (change.update && (current === undefined || JSON.stringify(current) !== JSON.stringify(change.update.expected))) return false
    if (change.takeNotice !== undefined && !t.notices.delete(change.takeNotice)) return false
    const ttlMs = change.retentionSeconds * 1000
    if (change.update) t.sessions.replace(id, copy(change.update.next))
    if (change.event) {
      t.deliveries.set(change.event.delivery.id, copy(change.event.delivery), ttlMs)
      t.events.set(change.event.delivery.id, change.event.sealedEvent, ttlMs)
    }
    if (change.provisioning === 'done') t.provisioning.delete(id)
    else if (change.provisioning !== undefined) t.provisioning.set(id, change.provisioning)
    if (change.dropToken) t.tokens.delete(id)
    if (change.cancelNotices) for (const kind of NOTICE_KINDS) t.notices.delete(noticeMember(kind, id))
    const session = change.update?.next ?? current
    if (change.leaveOwners && session) {
      const business = businessEntry(session)
      if (business) t.businessSessions.get(business.businessId)?.delete(id)
      const user = userEntry(session)
      if (user) t.userSessions.get(user.userId)?.delete(id)
    }
    return true
  }

  async recordEvents ({ events, retentionSeconds, dataDeletion }: EventsWrite): Promise<void> {
    const ttlMs = retentionSeconds * 1000
    for (const { delivery, sealedEvent } of events) {
      this.t.deliveries.set(delivery.id, copy(delivery), ttlMs)
      this.t.events.set(delivery.id, sealedEvent, ttlMs)
    }
    if (dataDeletion) this.t.dataDeletions.set(dataDeletion.confirmation_code, copy(dataDeletion), ttlMs)
  }
}
