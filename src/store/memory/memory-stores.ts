// The in-process stores: one instance, nothing kept across restarts; for the sandbox and development only (used
// when REDIS_URL is unset, with a warning). All four share one set of tables (memory-tables.ts), so the outbox's
// writes that span several kinds of record are single synchronous steps, as atomic as the Redis scripts.
import type { FlowName } from '../../flows/flows.js'
import type { DataDeletionStore } from '../data-deletion-store.js'
import type { DeliveryStore } from '../delivery-store.js'
import { isChosen, type ChosenSession, type DataDeletionRecord, type DeliveryCursor, type DeliveryRecord, type DeliveryStatus, type LoginState, type SessionRecord } from '../records.js'
import type { ChooseFlowResult, ClaimResult, RedeemLoginStateResult, SessionStore, TakeLoginStateResult } from '../session-store.js'
import type { Stores } from '../stores.js'
import { MemoryOutboxStore } from './memory-outbox-store.js'
import { byPosition, copy, position, Tables } from './memory-tables.js'

/** a state beside its session, as in Redis; a legacy state is under its hash alone */
const stateKey = (sessionId: string, stateHash: string): string => `${sessionId}:${stateHash}`

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
    this.t.states.set(stateKey(state.session_id, stateHash), copy(state), ttlSeconds * 1000)
  }

  async openLoginState (stateHash: string, state: LoginState, retentionSeconds: number) {
    const session = await this.getSession(state.session_id)
    const ttlMs = this.t.sessions.ttlMs(state.session_id) - retentionSeconds * 1000
    if (!session || session.status !== 'pending' || session.flow === null || ttlMs <= 0) return { session, ttlMs: null }
    this.t.states.set(stateKey(state.session_id, stateHash), copy(state), Math.max(ttlMs, 1000))
    return { session, ttlMs: Math.max(ttlMs, 1000) }
  }

  async discardLoginState (sessionId: string, stateHash: string): Promise<void> {
    this.t.states.delete(stateKey(sessionId, stateHash))
  }

  async redeemLoginState (sessionId: string, stateHash: string, nonceHash: string, claimMs: number): Promise<RedeemLoginStateResult> {
    const taken = this.#take(stateKey(sessionId, stateHash), nonceHash)
    if (taken.status !== 'ok') return taken
    const claim = await this.claimSession(sessionId, claimMs)
    return claim.claimed ? { status: 'claimed', session: claim.session } : { status: 'busy' }
  }

  async takeLegacyLoginState (stateHash: string, nonceHash: string): Promise<TakeLoginStateResult> {
    return this.#take(stateHash, nonceHash)
  }

  #take (key: string, nonceHash: string): TakeLoginStateResult {
    const state = this.t.states.get(key)
    if (!state) return { status: 'missing' }
    if (state.nonce_hash !== nonceHash) return { status: 'browser_mismatch' }
    this.t.states.delete(key)
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
    return dueIn(this.t.processing, before, limit)
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
    return ownedSince(this.t.businessSessions.get(businessId), since, limit)
  }

  async completedSessionsOfUser (userId: string, since: number, limit: number): Promise<string[]> {
    return ownedSince(this.t.userSessions.get(userId), since, limit)
  }

  async dueProvisioning (before: number, limit: number): Promise<string[]> {
    return dueIn(this.t.provisioning, before, limit)
  }

  async dueNotices (before: number, limit: number): Promise<string[]> {
    return dueIn(this.t.notices, before, limit)
  }
}

/** an owner's sessions completed at or after `since`, oldest first, as the Redis sorted set orders them */
function ownedSince (members: Map<string, number> | undefined, since: number, limit: number): string[] {
  return [...members ?? []].map(([id, at]) => ({ createdAt: at, id })).filter((m) => m.createdAt >= since).sort(byPosition).slice(0, limit).map((m) => m.id)
}

/** an index's members due at `before` or earlier, soonest first */
function dueIn (index: Map<string, number>, before: number, limit: number): string[] {
  return [...index].filter(([, at]) => at <= before).sort((a, b) => a[1] - b[1]).slice(0, limit).map(([id]) => id)
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

  async listDeliveryIds (status: DeliveryStatus, limit: number, after?: DeliveryCursor) {
    const { items, next } = await this.listDeliveries(status, limit, after)
    return { items: items.map(position), next }
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
