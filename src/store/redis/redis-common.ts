// What the Redis stores share: where each kind of record lives, how their Lua scripts are registered, and how a
// Redis failure surfaces: every call fails fast (see redis-client.ts) and its failure becomes a
// StoreUnavailableError, which routes answer with 503.
import { spreadDigit } from '../../lib/ids.js'
import { StoreUnavailableError } from '../../lib/problems.js'
import type { DeliveryStatus } from '../records.js'
import type { RedisConnection } from './redis-client.js'

/**
 * The hash tags of a Redis Cluster layout: 16 spread groups, chosen so that their hash slots lie in 16 equal
 * ranges of the 16384 (one per 1024, away from the edges: 296, 1321, … 15689), so a cluster of any number of
 * masters up to 16 that splits the slots evenly (as `redis-cli --cluster create` does) gets its share of them.
 * test/store/cluster-layout.test.ts checks the slots on a real cluster.
 */
export const SPREAD_TAGS = ['029', '139', '26j', '3k', '41i', '5d', '60', '72i', '8h', '92k', 'a21', 'b1h', 'cd', 'd6k', 'ej', 'fc'] as const

/**
 * Where each kind of record lives. On one Redis (`single`, also behind Sentinels) every index is one key, as it
 * always was. On a Redis Cluster (`cluster`) a script may only touch keys of one hash slot, so the records are
 * spread over 16 groups by the last hex digit of their ID (spreadDigit): a session, its state, claim and token,
 * its events and their deliveries (whose IDs take the session's digit) and the indexes they are in all share the
 * group's hash tag, and each index is kept per group: readers of an index read every group's.
 */
export class RedisKeys {
  /** the groups an index is kept in: one on a single Redis, 16 on a cluster */
  readonly groups: readonly number[]
  readonly #tags: readonly string[]

  constructor (readonly prefix: string, readonly layout: 'single' | 'cluster' = 'single') {
    this.#tags = layout === 'cluster' ? SPREAD_TAGS.map((tag) => `{${tag}}:`) : ['']
    this.groups = this.#tags.map((_, i) => i)
  }

  /** the group of a record, by its ID (or a session's, for what belongs to it) */
  groupOf (id: string): number { return this.#tags.length === 1 ? 0 : spreadDigit(id) }

  #in (id: string): string { return this.#tags[this.groupOf(id)]! }

  session (id: string): string { return `${this.prefix}session:${this.#in(id)}${id}` }
  /**
   * a login state, under the SHA-256 of the state, beside its session: on one Redis the hash tag is the session
   * ID in braces (as states were kept before the cluster layout), on a cluster the session's group
   */
  state (sessionId: string, stateHash: string): string {
    return this.layout === 'cluster' ? `${this.prefix}state:${this.#in(sessionId)}${sessionId}:${stateHash}` : `${this.prefix}state:{${sessionId}}:${stateHash}`
  }

  /** a login state issued before states named their session */
  legacyState (stateHash: string): string { return `${this.prefix}state:${this.#in(stateHash)}${stateHash}` }
  claim (sessionId: string): string { return `${this.prefix}claim:${this.#in(sessionId)}${sessionId}` }
  token (sessionId: string): string { return `${this.prefix}token:${this.#in(sessionId)}${sessionId}` }
  delivery (id: string): string { return `${this.prefix}delivery:${this.#in(id)}${id}` }
  /** an event's sealed body */
  event (id: string): string { return `${this.prefix}event:${this.#in(id)}${id}` }
  dataDeletion (code: string): string { return `${this.prefix}data-deletion:${this.#in(code)}${code}` }
  /** one sorted set per delivery status (and group), scored by creation time: lists, metrics and the sweep read these */
  index (status: DeliveryStatus, group: number): string { return `${this.prefix}deliveries:${this.#tags[group]!}${status}` }
  /**
   * the completed sessions of a business (in one group), scored by completion time: each outcome adds its
   * session, drops the ones completed more than the retention before it, and sets the key's TTL to the retention
   */
  businessSessions (businessId: string, group: number): string { return `${this.prefix}business-sessions:${this.#tags[group]!}${businessId}` }
  /** the completed flow 2 sessions of a person, as businessSessions: a deauthorize revokes them */
  userSessions (userId: string, group: number): string { return `${this.prefix}user-sessions:${this.#tags[group]!}${userId}` }
  /** the sessions (of one group) whose expiry notices are scheduled, under the owner (noticeOwner) a later session supersedes */
  noticeHolders (owner: string, group: number): string { return `${this.prefix}notice-holders:${this.#tags[group]!}${owner}` }
  /** completed sessions whose provisioning is not done, by the time of its next attempt */
  provisioning (group: number): string { return `${this.prefix}sessions:${this.#tags[group]!}provisioning` }
  /** expiry notices not yet sent (noticeMember), by when each is due: sent or cancelled, a notice leaves it */
  notices (group: number): string { return `${this.prefix}sessions:${this.#tags[group]!}notices` }
  /** a key no script writes: it fills the place of an optional key, so every script's keys are a fixed list */
  unused (group: number): string { return `${this.prefix}${this.#tags[group]!}unused` }
  /** pending sessions by expiry, as `flow:id`: an outcome removes its session, the sweep the expired ones */
  expiries (group: number): string { return `${this.prefix}sessions:${this.#tags[group]!}expiries` }
  /** processing sessions by the time of their next attempt, as session IDs: the resumption sweep reads it */
  processing (group: number): string { return `${this.prefix}sessions:${this.#tags[group]!}processing` }
}

/** the expiry index's member of a session: its flow travels with it, so an expiry is counted by flow */
export const expiryMember = (flow: string, sessionId: string): string => `${flow}:${sessionId}`

/** IDs by the group they are kept in (RedisKeys.groupOf), in their order: one command per group */
export function inGroups (ids: readonly string[], groupOf: (id: string) => number): string[][] {
  const groups = new Map<number, string[]>()
  for (const id of ids) {
    const group = groupOf(id)
    const list = groups.get(group)
    if (list) list.push(id)
    else groups.set(group, [id])
  }
  return [...groups.values()]
}

export async function guard<T> (operation: Promise<T>): Promise<T> {
  try {
    return await operation
  } catch (err) {
    throw new StoreUnavailableError(err)
  }
}

export const parse = <T>(json: string | null | undefined): T | null => (json === null || json === undefined ? null : JSON.parse(json) as T)

/**
 * Registers Lua scripts as commands of the client with ioredis's defineCommand, which sends EVALSHA and falls
 * back to EVAL once when Redis does not know the script yet. Scripts rather than MULTI for steps that must land
 * together: atomic the same way, and far cheaper in ioredis, whose MULTI builds a pipeline object per call
 * (bench/README.md). Registering again, when several stores share one client, is harmless.
 */
export function defineCommands (redis: RedisConnection, commands: Record<string, { numberOfKeys?: number; lua: string }>): void {
  for (const [name, definition] of Object.entries(commands)) redis.defineCommand(name, definition)
}
