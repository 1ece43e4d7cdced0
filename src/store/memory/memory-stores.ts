// The in-process stores: one instance, nothing kept across restarts; for the sandbox and development only (used
// when REDIS_URL is unset, with a warning). All four share one set of tables, so the outbox's writes that span
// several kinds of record are single synchronous steps here, as atomic as the Redis scripts: nothing else runs
// in between.
import type { FlowName } from '../../flows/flows.js'
import type { DataDeletionStore } from '../data-deletion-store.js'
import type { DeliveryStore } from '../delivery-store.js'
import type { EventsWrite, OutboxStore, OutcomeWrite } from '../outbox-store.js'
import { businessEntry, isChosen, type ChosenSession, type DataDeletionRecord, type DeliveryCursor, type DeliveryRecord, type DeliveryStatus, type LoginState, type SessionRecord } from '../records.js'
import type { ChooseFlowResult, ClaimResult, SessionStore, TakeLoginStateResult } from '../session-store.js'
import type { Stores } from '../stores.js'
import { ExpiringMap } from './expiring-map.js'

const position = (d: DeliveryRecord): DeliveryCursor => ({ createdAt: Date.parse(d.created_at), id: d.id })
// deliveries by creation time, and a business's sessions by completion time: the time, then the ID, as Redis orders
// equal scores
const byPosition = (a: DeliveryCursor, b: DeliveryCursor): number => a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)

// Values are copied in and out (as Redis would) so that callers never share mutable records with the store.
const copy = <T>(value: T): T => structuredClone(value)

class Tables {
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

  constructor (now: () => number) {
    this.sessions = new ExpiringMap(now)
    this.states = new ExpiringMap(now)
    this.claims = new ExpiringMap(now)
    this.tokens = new ExpiringMap(now)
    this.deliveries = new ExpiringMap(now)
    this.events = new ExpiringMap(now)
    this.dataDeletions = new ExpiringMap(now)
    this.businessSessions = new ExpiringMap(now)
  }

  close (): void {
    for (const map of [this.sessions, this.states, this.claims, this.tokens, this.deliveries, this.events, this.dataDeletions, this.businessSessions]) map.close()
    this.expiries.clear()
    this.processing.clear()
  }
}

class MemorySessionStore implements SessionStore {
  constructor (private readonly t: Tables) {}

  async createSession (session: SessionRecord, ttlSeconds: number): Promise<void> {
    this.t.sessions.set(session.id, copy(session), ttlSeconds * 1000)
    if (session.flow) this.t.expiries.set(session.id, { flow: session.flow, at: Date.parse(session.expires_at) })
  }

  async getSession (id: string): Promise<SessionRecord | null> {
    const session = this.t.sessions.get(id)
    return session ? copy(session) : null
  }

  async chooseFlow (id: string, flow: FlowName, configId: string): Promise<ChooseFlowResult> {
    const session = this.t.sessions.get(id)
    if (!session) return { status: 'missing' }
    if (isChosen(session)) return { status: 'already_chosen', session: copy(session) }
    const chosen: ChosenSession = { ...copy(session), flow, config_id: configId }
    this.t.sessions.replace(id, copy(chosen))
    this.t.expiries.set(id, { flow, at: Date.parse(chosen.expires_at) })
    return { status: 'chosen', session: chosen }
  }

  async putLoginState (stateHash: string, state: LoginState, ttlSeconds: number): Promise<void> {
    this.t.states.set(stateHash, copy(state), ttlSeconds * 1000)
  }

  async takeLoginState (stateHash: string, nonceHash: string): Promise<TakeLoginStateResult> {
    const state = this.t.states.get(stateHash)
    if (!state) return { status: 'missing' }
    if (state.nonce_hash !== nonceHash) return { status: 'browser_mismatch' }
    this.t.states.delete(stateHash)
    return { status: 'ok', state }
  }

  async claimSession (id: string, ttlMs: number): Promise<ClaimResult> {
    if (this.t.claims.has(id)) return { claimed: false }
    this.t.claims.set(id, true, ttlMs)
    return { claimed: true, session: await this.getSession(id) }
  }

  async releaseSession (id: string): Promise<void> { this.t.claims.delete(id) }

  async putSealedToken (sessionId: string, sealed: string, ttlSeconds: number): Promise<void> {
    this.t.tokens.set(sessionId, sealed, ttlSeconds * 1000)
  }

  async getSealedToken (sessionId: string): Promise<string | null> {
    return this.t.tokens.get(sessionId) ?? null
  }

  async recordProcessing (session: SessionRecord, ttlSeconds: number): Promise<void> {
    this.t.sessions.set(session.id, copy(session), ttlSeconds * 1000)
    const next = Date.parse(session.processing?.next_attempt_at ?? '')
    this.t.processing.set(session.id, Number.isNaN(next) ? 0 : next)
    this.t.expiries.delete(session.id)
    this.t.claims.delete(session.id)
  }

  async dueProcessing (before: number, limit: number): Promise<string[]> {
    return [...this.t.processing].filter(([, at]) => at <= before).sort((a, b) => a[1] - b[1]).slice(0, limit).map(([id]) => id)
  }

  async countProcessing (): Promise<number> { return this.t.processing.size }

  async takeExpiredSessions (now: number, limit: number): Promise<FlowName[]> {
    const flows: FlowName[] = []
    for (const [id, { flow, at }] of this.t.expiries) {
      if (flows.length >= limit) break
      if (at > now) continue
      this.t.expiries.delete(id)
      flows.push(flow)
    }
    return flows
  }

  async completedSessionsOfBusiness (businessId: string, since: number, limit: number): Promise<string[]> {
    const members = [...this.t.businessSessions.get(businessId) ?? []].map(([id, at]) => ({ createdAt: at, id }))
    return members.filter((m) => m.createdAt >= since).sort(byPosition).slice(0, limit).map((m) => m.id)
  }
}

class MemoryDeliveryStore implements DeliveryStore {
  constructor (private readonly t: Tables) {}

  async getDelivery (id: string): Promise<DeliveryRecord | null> {
    const delivery = this.t.deliveries.get(id)
    return delivery ? copy(delivery) : null
  }

  async getDeliveryWithEvent (id: string) {
    return { delivery: await this.getDelivery(id), sealedEvent: this.t.events.get(id) ?? null }
  }

  async putDelivery (delivery: DeliveryRecord, ttlSeconds: number, options: { dropEvent?: boolean } = {}): Promise<void> {
    this.t.deliveries.set(delivery.id, copy(delivery), ttlSeconds * 1000)
    if (options.dropEvent) this.t.events.delete(delivery.id)
  }

  // a scan per call: the in-process store serves one developer's sandbox, not a backlog
  #sorted (status: DeliveryStatus): DeliveryRecord[] {
    return [...this.t.deliveries.values()].filter((d) => d.status === status).sort((a, b) => byPosition(position(a), position(b)))
  }

  async listDeliveries (status: DeliveryStatus, limit: number, after?: DeliveryCursor) {
    const rest = this.#sorted(status).filter((d) => !after || byPosition(position(d), after) > 0)
    const items = rest.slice(0, limit).map(copy)
    return { items, next: rest.length > limit ? position(items[items.length - 1]!) : null }
  }

  async deliveryStats () {
    const pending = this.#sorted('pending')
    return { pending: pending.length, dead: this.#sorted('dead').length, oldestPendingCreatedAt: pending[0] ? Date.parse(pending[0].created_at) : null }
  }

  // records expire by their own TTL here: there is no separate index to trim
  async trimDeliveryIndexes (): Promise<void> {}
}

class MemoryDataDeletionStore implements DataDeletionStore {
  constructor (private readonly t: Tables) {}

  async getDataDeletion (code: string): Promise<DataDeletionRecord | null> {
    const record = this.t.dataDeletions.get(code)
    return record ? copy(record) : null
  }

  async putDataDeletion (record: DataDeletionRecord, ttlSeconds: number): Promise<void> {
    this.t.dataDeletions.set(record.confirmation_code, copy(record), ttlSeconds * 1000)
  }
}

class MemoryOutboxStore implements OutboxStore {
  constructor (private readonly t: Tables) {}

  async recordOutcome ({ session, delivery, sealedEvent, retentionSeconds }: OutcomeWrite): Promise<void> {
    const ttlMs = retentionSeconds * 1000
    this.t.sessions.set(session.id, copy(session), ttlMs)
    this.t.deliveries.set(delivery.id, copy(delivery), ttlMs)
    this.t.events.set(delivery.id, sealedEvent, ttlMs)
    this.t.tokens.delete(session.id)
    this.t.claims.delete(session.id)
    this.t.expiries.delete(session.id)
    this.t.processing.delete(session.id)
    const business = businessEntry(session)
    if (business) {
      // as the Redis script: add, drop what the retention no longer keeps, and expire the entry with the retention
      const members = this.t.businessSessions.get(business.businessId) ?? new Map<string, number>()
      members.set(session.id, business.completedAt)
      for (const [id, at] of members) if (at < business.completedAt - ttlMs) members.delete(id)
      this.t.businessSessions.set(business.businessId, members, ttlMs)
    }
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

export function memoryStores (now: () => number = Date.now): Stores {
  const tables = new Tables(now)
  return {
    kind: 'memory',
    sessions: new MemorySessionStore(tables),
    deliveries: new MemoryDeliveryStore(tables),
    dataDeletions: new MemoryDataDeletionStore(tables),
    outbox: new MemoryOutboxStore(tables),
    ping: async () => 0,
    close: async () => { tables.close() }
  }
}
