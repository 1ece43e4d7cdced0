// The tables the in-process stores share (memory-stores.ts, memory-outbox-store.ts), and the orderings they keep
// as Redis keeps them. One set of tables for all four stores, so a write that spans kinds is one synchronous step.
import type { FlowName } from '../../flows/flows.js'
import type { DataDeletionRecord, DeliveryCursor, DeliveryRecord, LoginState, NoticeKind, SessionRecord } from '../records.js'
import { ExpiringMap } from './expiring-map.js'

export const NOTICE_KINDS: NoticeKind[] = ['expiring', 'expired']

export const position = (d: DeliveryRecord): DeliveryCursor => ({ createdAt: Date.parse(d.created_at), id: d.id })
// deliveries by creation time, and a business's sessions by completion time: the time, then the ID, as Redis orders
// equal scores
export const byPosition = (a: DeliveryCursor, b: DeliveryCursor): number => a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)

// Values are copied in and out (as Redis would) so that callers never share mutable records with the store.
export const copy = <T>(value: T): T => structuredClone(value)

export class Tables {
  readonly sessions: ExpiringMap<SessionRecord>
  readonly states: ExpiringMap<LoginState>
  readonly claims: ExpiringMap<true>
  readonly tokens: ExpiringMap<string>
  readonly deliveries: ExpiringMap<DeliveryRecord>
  readonly events: ExpiringMap<string>
  readonly dataDeletions: ExpiringMap<DataDeletionRecord>
  /** pending sessions and when they expire */
  readonly expiries = new Map<string, { flow: FlowName; at: number }>()
  /** processing sessions and when their next attempt is due */
  readonly processing = new Map<string, number>()
  /** per business, its completed sessions and when each completed (ms); the whole entry expires like the Redis key */
  readonly businessSessions: ExpiringMap<Map<string, number>>
  /** the same per person (flow 2) */
  readonly userSessions: ExpiringMap<Map<string, number>>
  /** completed sessions whose provisioning is not done, and when its next attempt is due */
  readonly provisioning = new Map<string, number>()
  /** expiry notices not yet sent nor cancelled (noticeMember), and when each is due */
  readonly notices = new Map<string, number>()
  /** per owner (noticeOwner), the sessions whose notices a later session of that owner supersedes */
  readonly noticeHolders: ExpiringMap<Set<string>>

  constructor (now: () => number) {
    this.sessions = new ExpiringMap(now)
    this.states = new ExpiringMap(now)
    this.claims = new ExpiringMap(now)
    this.tokens = new ExpiringMap(now)
    this.deliveries = new ExpiringMap(now)
    this.events = new ExpiringMap(now)
    this.dataDeletions = new ExpiringMap(now)
    this.businessSessions = new ExpiringMap(now)
    this.userSessions = new ExpiringMap(now)
    this.noticeHolders = new ExpiringMap(now)
  }

  close (): void {
    for (const map of [this.sessions, this.states, this.claims, this.tokens, this.deliveries, this.events, this.dataDeletions,
      this.businessSessions, this.userSessions, this.noticeHolders]) map.close()
    for (const index of [this.expiries, this.processing, this.provisioning, this.notices]) index.clear()
  }
}

/** as the Redis script: add, drop what the retention no longer keeps, and expire the entry with the retention */
export function joinOwner (owners: ExpiringMap<Map<string, number>>, owner: string, sessionId: string, completedAt: number, ttlMs: number): void {
  const members = owners.get(owner) ?? new Map<string, number>()
  members.set(sessionId, completedAt)
  for (const [id, at] of members) if (at < completedAt - ttlMs) members.delete(id)
  owners.set(owner, members, ttlMs)
}
