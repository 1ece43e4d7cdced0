// Sessions, login states, claims and sealed tokens in Redis; steps that read and write together are Lua scripts.
import type { Result } from 'ioredis'
import type { FlowName } from '../../flows/flows.js'
import { StoreUnavailableError } from '../../lib/problems.js'
import { isChosen, type ChosenSession, type LoginState, type SessionRecord } from '../records.js'
import type { ChooseFlowResult, ClaimResult, RedeemLoginStateResult, SessionStore, TakeLoginStateResult } from '../session-store.js'
import type { RedisConnection } from './redis-client.js'
import { defineCommands, expiryMember, guard, parse, type RedisKeys } from './redis-common.js'

declare module 'ioredis' {
  interface RedisCommander<Context> {
    moTakeState (state: string, nonceHash: string): Result<string | number, Context>
    moOpenState (session: string, state: string, json: string, retentionMs: number): Result<[string, number] | null, Context>
    moRedeemState (state: string, claim: string, session: string, nonceHash: string, claimMs: number): Result<string | number, Context>
    moCreateSession (session: string, expiries: string, json: string, ttlSeconds: number, expiresAtMs: number, member: string): Result<null, Context>
    moChooseFlow (session: string, expiries: string, asRead: string, chosen: string, expiresAtMs: number, member: string): Result<number, Context>
    moClaimSession (claim: string, session: string, ttlMs: number): Result<string | null, Context>
    moRecordProcessing (session: string, processing: string, expiries: string, claim: string,
      json: string, ttlSeconds: number, nextAttemptMs: number, id: string, member: string): Result<null, Context>
  }
}

// Takes the login state KEYS[1] only when the browser's nonce hash ARGV[1] matches: a wrong browser does not
// burn the state of the right one, and a second take finds nothing. 0: no state, -1: another browser.
const TAKE_STATE = `
local v = redis.call('GET', KEYS[1])
if not v then return 0 end
if cjson.decode(v).nonce_hash ~= ARGV[1] then return -1 end
redis.call('DEL', KEYS[1])`

const COMMANDS = {
  // a state of the earlier format, under its hash alone. KEYS: state · ARGV: nonce hash
  moTakeState: {
    numberOfKeys: 1,
    lua: `${TAKE_STATE}
return v`
  },
  // GET /login: the session, and a login state for it if it is pending with its flow chosen and its expiry
  // ahead. A pending session's record lives until its expiry plus the retention, so what is left of its life
  // is the record's PTTL less the retention. KEYS: session, state · ARGV: state JSON, retention ms
  // Returns nil (no session), or the session JSON and the state's TTL in ms when it was written, else 0.
  moOpenState: {
    numberOfKeys: 2,
    lua: `
local v = redis.call('GET', KEYS[1])
if not v then return false end
-- a record cjson cannot read (the partner's metadata nested deeper than cjson goes) is left to the caller
local ok, s = pcall(cjson.decode, v)
local left = redis.call('PTTL', KEYS[1]) - tonumber(ARGV[2])
if not ok or s.status ~= 'pending' or type(s.flow) ~= 'string' or left <= 0 then return {v, 0} end
left = math.max(left, 1000)
redis.call('SET', KEYS[2], ARGV[1], 'PX', left)
return {v, left}`
  },
  // The callback: takes the state, then claims the session and returns it, as moClaimSession does.
  // KEYS: state, claim, session · ARGV: nonce hash, claim TTL ms
  // Returns 0 (no state), -1 (another browser), -2 (taken, but the session is claimed), or the session JSON ('' if gone).
  moRedeemState: {
    numberOfKeys: 3,
    lua: `${TAKE_STATE}
if not redis.call('SET', KEYS[2], '1', 'PX', ARGV[2], 'NX') then return -2 end
return redis.call('GET', KEYS[3]) or ''`
  },
  // KEYS: session, expiries · ARGV: session JSON, TTL s, expiry ms, expiries member ('' while no flow is chosen)
  moCreateSession: {
    numberOfKeys: 2,
    lua: `
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
if ARGV[4] ~= '' then redis.call('ZADD', KEYS[2], ARGV[3], ARGV[4]) end`
  },
  // Fixes a session's flow only if the session is still exactly as it was read (compare-and-set): of two
  // concurrent choices, the second finds it changed. The record is rewritten whole by the caller rather than
  // edited here, since cjson would turn an empty array of the partner's metadata into an object.
  // KEYS: session, expiries · ARGV: JSON as read, JSON with the flow, expiry ms, expiries member
  moChooseFlow: {
    numberOfKeys: 2,
    lua: `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
local ttl = redis.call('PTTL', KEYS[1])
if ttl > 0 then redis.call('SET', KEYS[1], ARGV[2], 'PX', ttl) else redis.call('SET', KEYS[1], ARGV[2]) end
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[4])
return 1`
  },
  // Claims a session for one login and returns it, in one step. KEYS: claim, session · ARGV: TTL ms
  moClaimSession: {
    numberOfKeys: 2,
    lua: `
if not redis.call('SET', KEYS[1], '1', 'PX', ARGV[1], 'NX') then return false end
return redis.call('GET', KEYS[2]) or ''`
  },
  // KEYS: session, processing index, expiries, claim · ARGV: session JSON, TTL s, next attempt ms, ID, expiries member
  moRecordProcessing: {
    numberOfKeys: 4,
    lua: `
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[4])
redis.call('ZREM', KEYS[3], ARGV[5])
redis.call('DEL', KEYS[4])`
  }
}

export class RedisSessionStore implements SessionStore {
  constructor (private readonly redis: RedisConnection, private readonly keys: RedisKeys) {
    defineCommands(redis, COMMANDS)
  }

  async createSession (session: SessionRecord, ttlSeconds: number): Promise<void> {
    await guard(this.redis.moCreateSession(this.keys.session(session.id), this.keys.expiries(this.keys.groupOf(session.id)),
      JSON.stringify(session), ttlSeconds, Date.parse(session.expires_at), session.flow ? expiryMember(session.flow, session.id) : ''))
  }

  async getSession (id: string): Promise<SessionRecord | null> {
    return parse(await guard(this.redis.get(this.keys.session(id))))
  }

  async chooseFlow (id: string, flow: FlowName, configId: string): Promise<ChooseFlowResult> {
    // a lost compare-and-set means another choice landed: the next read sees its flow
    for (let attempt = 0; attempt < 5; attempt++) {
      const raw = await guard(this.redis.get(this.keys.session(id)))
      if (raw === null) return { status: 'missing' }
      const session = JSON.parse(raw) as SessionRecord
      if (isChosen(session)) return { status: 'already_chosen', session }
      const chosen: ChosenSession = { ...session, flow, config_id: configId }
      const swapped = await guard(this.redis.moChooseFlow(this.keys.session(id), this.keys.expiries(this.keys.groupOf(id)),
        raw, JSON.stringify(chosen), Date.parse(session.expires_at), expiryMember(flow, id)))
      if (swapped === 1) return { status: 'chosen', session: chosen }
    }
    throw new StoreUnavailableError(new Error('the session kept changing while its flow was being chosen'))
  }

  async putLoginState (stateHash: string, state: LoginState, ttlSeconds: number): Promise<void> {
    await guard(this.redis.set(this.keys.state(state.session_id, stateHash), JSON.stringify(state), 'EX', ttlSeconds))
  }

  async openLoginState (stateHash: string, state: LoginState, retentionSeconds: number) {
    const result = await guard(this.redis.moOpenState(this.keys.session(state.session_id), this.keys.state(state.session_id, stateHash),
      JSON.stringify(state), retentionSeconds * 1000))
    if (result === null) return { session: null, ttlMs: null }
    return { session: JSON.parse(result[0]) as SessionRecord, ttlMs: result[1] === 0 ? null : result[1] }
  }

  async discardLoginState (sessionId: string, stateHash: string): Promise<void> {
    await guard(this.redis.del(this.keys.state(sessionId, stateHash)))
  }

  async redeemLoginState (sessionId: string, stateHash: string, nonceHash: string, claimMs: number): Promise<RedeemLoginStateResult> {
    const result = await guard(this.redis.moRedeemState(this.keys.state(sessionId, stateHash), this.keys.claim(sessionId), this.keys.session(sessionId), nonceHash, claimMs))
    if (result === 0) return { status: 'missing' }
    if (result === -1) return { status: 'browser_mismatch' }
    if (result === -2) return { status: 'busy' }
    return { status: 'claimed', session: result === '' ? null : JSON.parse(result as string) as SessionRecord }
  }

  async takeLegacyLoginState (stateHash: string, nonceHash: string): Promise<TakeLoginStateResult> {
    const result = await guard(this.redis.moTakeState(this.keys.legacyState(stateHash), nonceHash))
    if (result === 0) return { status: 'missing' }
    if (result === -1) return { status: 'browser_mismatch' }
    return { status: 'ok', state: JSON.parse(result as string) as LoginState }
  }

  async claimSession (id: string, ttlMs: number): Promise<ClaimResult> {
    const result = await guard(this.redis.moClaimSession(this.keys.claim(id), this.keys.session(id), ttlMs))
    if (result === null) return { claimed: false }
    return { claimed: true, session: result === '' ? null : JSON.parse(result) as SessionRecord }
  }

  async releaseSession (id: string): Promise<void> {
    await guard(this.redis.del(this.keys.claim(id)))
  }

  async putSealedToken (sessionId: string, sealed: string, ttlSeconds: number): Promise<void> {
    await guard(this.redis.set(this.keys.token(sessionId), sealed, 'EX', ttlSeconds))
  }

  async getSealedToken (sessionId: string): Promise<string | null> {
    return await guard(this.redis.get(this.keys.token(sessionId)))
  }

  async recordProcessing (session: SessionRecord, ttlSeconds: number): Promise<void> {
    const next = Date.parse(session.processing?.next_attempt_at ?? '')
    const g = this.keys.groupOf(session.id)
    await guard(this.redis.moRecordProcessing(this.keys.session(session.id), this.keys.processing(g), this.keys.expiries(g), this.keys.claim(session.id),
      JSON.stringify(session), ttlSeconds, Number.isNaN(next) ? 0 : next, session.id, expiryMember(session.flow ?? '', session.id)))
  }

  async dueProcessing (before: number, limit: number): Promise<string[]> {
    return await this.#firstAcrossGroups((g) => this.keys.processing(g), '-inf', before, limit)
  }

  async countProcessing (): Promise<number> {
    const counts = await Promise.all(this.keys.groups.map((g) => guard(this.redis.zcard(this.keys.processing(g)))))
    return counts.reduce((sum, n) => sum + n, 0)
  }

  async takeExpiredSessions (now: number, limit: number): Promise<FlowName[]> {
    const members = await this.#firstAcrossGroups((g) => this.keys.expiries(g), '-inf', now, limit)
    const flows: FlowName[] = []
    for (const member of members) {
      const [flow, sessionId] = member.split(':') as [FlowName, string]
      // ZREM answers 1 to one caller only: each expiry is counted once, whichever instance sweeps
      if (await guard(this.redis.zrem(this.keys.expiries(this.keys.groupOf(sessionId)), member)) === 1) flows.push(flow)
    }
    return flows
  }

  async completedSessionsOfBusiness (businessId: string, since: number, limit: number): Promise<string[]> {
    // equal scores come in member order, as the in-process store sorts them
    return await this.#firstAcrossGroups((g) => this.keys.businessSessions(businessId, g), since, '+inf', limit)
  }

  async completedSessionsOfUser (userId: string, since: number, limit: number): Promise<string[]> {
    return await this.#firstAcrossGroups((g) => this.keys.userSessions(userId, g), since, '+inf', limit)
  }

  async dueProvisioning (before: number, limit: number): Promise<string[]> {
    return await this.#firstAcrossGroups((g) => this.keys.provisioning(g), '-inf', before, limit)
  }

  async dueNotices (before: number, limit: number): Promise<string[]> {
    return await this.#firstAcrossGroups((g) => this.keys.notices(g), '-inf', before, limit)
  }

  /** the first members of an index kept per group (RedisKeys), by score then member, as one sorted set gives them */
  async #firstAcrossGroups (keyOf: (group: number) => string, min: number | string, max: number | string, limit: number): Promise<string[]> {
    if (this.keys.groups.length === 1) return await guard(this.redis.zrangebyscore(keyOf(0), min, max, 'LIMIT', 0, limit))
    const groups = await Promise.all(this.keys.groups.map((g) => guard(this.redis.zrangebyscore(keyOf(g), min, max, 'WITHSCORES', 'LIMIT', 0, limit))))
    const entries: Array<{ member: string; score: number }> = []
    for (const flat of groups) for (let i = 0; i < flat.length; i += 2) entries.push({ member: flat[i]!, score: Number(flat[i + 1]) })
    entries.sort((a, b) => a.score - b.score || (a.member < b.member ? -1 : a.member > b.member ? 1 : 0))
    return entries.slice(0, limit).map((e) => e.member)
  }
}
