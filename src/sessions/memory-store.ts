// The in-process store: one instance, nothing kept across restarts. For the sandbox and development only
// (SPEC §2: used when REDIS_URL is unset, with a warning).
import type { FlowName } from '../onboarding/flows.js'
import { isChosen } from './records.js'
import type {
  ChooseFlowResult, ChosenSession, DataDeletionRecord, DeliveryCursor, DeliveryRecord, DeliveryStatus, EventsWrite, LoginState, OutcomeWrite,
  SessionRecord, Store, TakeLoginStateResult
} from './records.js'

const position = (d: DeliveryRecord): DeliveryCursor => ({ createdAt: Date.parse(d.created_at), id: d.id })
const byPosition = (a: DeliveryCursor, b: DeliveryCursor): number => a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)

class ExpiringMap<V> {
  readonly #entries = new Map<string, { value: V; expiresAt: number }>()
  readonly #sweep: NodeJS.Timeout

  constructor (private readonly now: () => number) {
    // expired entries are dropped lazily on read; the sweep keeps memory bounded for keys never read again
    this.#sweep = setInterval(() => {
      const t = this.now()
      for (const [key, entry] of this.#entries) if (entry.expiresAt <= t) this.#entries.delete(key)
    }, 60_000)
    this.#sweep.unref()
  }

  get (key: string): V | undefined {
    const entry = this.#entries.get(key)
    if (!entry) return undefined
    if (entry.expiresAt <= this.now()) {
      this.#entries.delete(key)
      return undefined
    }
    return entry.value
  }

  set (key: string, value: V, ttlMs: number): void {
    this.#entries.set(key, { value, expiresAt: this.now() + ttlMs })
  }

  /** a new value under a live key, keeping its expiry */
  replace (key: string, value: V): void {
    const entry = this.#entries.get(key)
    if (entry) entry.value = value
  }

  has (key: string): boolean { return this.get(key) !== undefined }
  * values (): Generator<V> {
    for (const key of [...this.#entries.keys()]) {
      const value = this.get(key)
      if (value !== undefined) yield value
    }
  }

  delete (key: string): void { this.#entries.delete(key) }
  close (): void { clearInterval(this.#sweep); this.#entries.clear() }
}

// Values are copied in and out (as Redis would) so that callers never share mutable records with the store.
const copy = <T>(value: T): T => structuredClone(value)

export class MemoryStore implements Store {
  readonly kind = 'memory' as const
  readonly #sessions: ExpiringMap<SessionRecord>
  readonly #states: ExpiringMap<LoginState>
  readonly #claims: ExpiringMap<true>
  readonly #tokens: ExpiringMap<string>
  readonly #deliveries: ExpiringMap<DeliveryRecord>
  readonly #events: ExpiringMap<string>
  readonly #dataDeletions: ExpiringMap<DataDeletionRecord>
  /** pending sessions and when they expire */
  readonly #expiries = new Map<string, { flow: FlowName; at: number }>()

  constructor (now: () => number = Date.now) {
    this.#sessions = new ExpiringMap(now)
    this.#states = new ExpiringMap(now)
    this.#claims = new ExpiringMap(now)
    this.#tokens = new ExpiringMap(now)
    this.#deliveries = new ExpiringMap(now)
    this.#events = new ExpiringMap(now)
    this.#dataDeletions = new ExpiringMap(now)
  }

  async ping (): Promise<number> { return 0 }

  async createSession (session: SessionRecord, ttlSeconds: number): Promise<void> {
    this.#sessions.set(session.id, copy(session), ttlSeconds * 1000)
    if (session.flow) this.#expiries.set(session.id, { flow: session.flow, at: Date.parse(session.expires_at) })
  }

  // one synchronous step between the read and the write: nothing else runs in between, as in the Redis script
  async chooseFlow (id: string, flow: FlowName, configId: string): Promise<ChooseFlowResult> {
    const session = this.#sessions.get(id)
    if (!session) return { status: 'missing' }
    if (isChosen(session)) return { status: 'already_chosen', session: copy(session) }
    const chosen: ChosenSession = { ...copy(session), flow, config_id: configId }
    this.#sessions.replace(id, copy(chosen))
    this.#expiries.set(id, { flow, at: Date.parse(chosen.expires_at) })
    return { status: 'chosen', session: chosen }
  }

  async takeExpiredSessions (now: number, limit: number): Promise<FlowName[]> {
    const flows: FlowName[] = []
    for (const [id, { flow, at }] of this.#expiries) {
      if (flows.length >= limit) break
      if (at > now) continue
      this.#expiries.delete(id)
      flows.push(flow)
    }
    return flows
  }

  async getSession (id: string): Promise<SessionRecord | null> {
    const session = this.#sessions.get(id)
    return session ? copy(session) : null
  }

  async putLoginState (stateHash: string, state: LoginState, ttlSeconds: number): Promise<void> {
    this.#states.set(stateHash, copy(state), ttlSeconds * 1000)
  }

  async takeLoginState (stateHash: string, nonceHash: string): Promise<TakeLoginStateResult> {
    const state = this.#states.get(stateHash)
    if (!state) return { status: 'missing' }
    if (state.nonce_hash !== nonceHash) return { status: 'browser_mismatch' }
    this.#states.delete(stateHash)
    return { status: 'ok', state }
  }

  async claimSession (id: string, ttlMs: number): Promise<{ claimed: false } | { claimed: true; session: SessionRecord | null }> {
    if (this.#claims.has(id)) return { claimed: false }
    this.#claims.set(id, true, ttlMs)
    return { claimed: true, session: await this.getSession(id) }
  }

  async releaseSession (id: string): Promise<void> { this.#claims.delete(id) }

  async putSealedToken (sessionId: string, sealed: string, ttlSeconds: number): Promise<void> {
    this.#tokens.set(sessionId, sealed, ttlSeconds * 1000)
  }

  async recordOutcome ({ session, delivery, sealedEvent, retentionSeconds }: OutcomeWrite): Promise<void> {
    const ttlMs = retentionSeconds * 1000
    this.#sessions.set(session.id, copy(session), ttlMs)
    this.#deliveries.set(delivery.id, copy(delivery), ttlMs)
    this.#events.set(delivery.id, sealedEvent, ttlMs)
    this.#tokens.delete(session.id)
    this.#claims.delete(session.id)
    this.#expiries.delete(session.id)
  }

  // synchronous from start to end, so no other call sees a part of it, as with the Redis script
  async recordEvents ({ events, retentionSeconds, dataDeletion }: EventsWrite): Promise<void> {
    const ttlMs = retentionSeconds * 1000
    for (const { delivery, sealedEvent } of events) {
      this.#deliveries.set(delivery.id, copy(delivery), ttlMs)
      this.#events.set(delivery.id, sealedEvent, ttlMs)
    }
    if (dataDeletion) this.#dataDeletions.set(dataDeletion.confirmation_code, copy(dataDeletion), ttlMs)
  }

  async getDataDeletion (code: string): Promise<DataDeletionRecord | null> {
    const record = this.#dataDeletions.get(code)
    return record ? copy(record) : null
  }

  async putDataDeletion (record: DataDeletionRecord, ttlSeconds: number): Promise<void> {
    this.#dataDeletions.set(record.confirmation_code, copy(record), ttlSeconds * 1000)
  }

  async getDelivery (id: string): Promise<DeliveryRecord | null> {
    const delivery = this.#deliveries.get(id)
    return delivery ? copy(delivery) : null
  }

  async putDelivery (delivery: DeliveryRecord, ttlSeconds: number, options: { dropEvent?: boolean } = {}): Promise<void> {
    this.#deliveries.set(delivery.id, copy(delivery), ttlSeconds * 1000)
    if (options.dropEvent) this.#events.delete(delivery.id)
  }

  async getDeliveryWithEvent (id: string) {
    return { delivery: await this.getDelivery(id), sealedEvent: this.#events.get(id) ?? null }
  }

  // a scan per call: the in-process store serves one developer's sandbox, not a backlog
  #sorted (status: DeliveryStatus): DeliveryRecord[] {
    return [...this.#deliveries.values()].filter((d) => d.status === status).sort((a, b) => byPosition(position(a), position(b)))
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

  async close (): Promise<void> {
    for (const map of [this.#sessions, this.#states, this.#claims, this.#tokens, this.#deliveries, this.#events, this.#dataDeletions]) map.close()
    this.#expiries.clear()
  }
}
