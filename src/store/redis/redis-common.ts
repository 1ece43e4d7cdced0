// What the Redis stores share: where each kind of record lives, how their Lua scripts are registered, and how a
// Redis failure surfaces: every call fails fast (see redis-client.ts) and its failure becomes a
// StoreUnavailableError, which routes answer with 503.
import type { Redis } from 'ioredis'
import { StoreUnavailableError } from '../../lib/problems.js'
import type { DeliveryStatus } from '../records.js'

export class RedisKeys {
  constructor (readonly prefix: string) {}

  session (id: string): string { return `${this.prefix}session:${id}` }
  /**
   * a login state, under the SHA-256 of the state, beside its session: the hash tag (the session ID in braces)
   * puts it in the session's hash slot of a Redis Cluster
   */
  state (sessionId: string, stateHash: string): string { return `${this.prefix}state:{${sessionId}}:${stateHash}` }
  /** a login state issued before states named their session */
  legacyState (stateHash: string): string { return `${this.prefix}state:${stateHash}` }
  claim (sessionId: string): string { return `${this.prefix}claim:${sessionId}` }
  token (sessionId: string): string { return `${this.prefix}token:${sessionId}` }
  delivery (id: string): string { return `${this.prefix}delivery:${id}` }
  /** an event's sealed body */
  event (id: string): string { return `${this.prefix}event:${id}` }
  dataDeletion (code: string): string { return `${this.prefix}data-deletion:${code}` }
  /** one sorted set per delivery status, scored by creation time: lists, metrics and the sweep read these */
  index (status: DeliveryStatus): string { return `${this.prefix}deliveries:${status}` }
  /**
   * the completed sessions of a business, scored by completion time: each outcome adds its session, drops the
   * ones completed more than the retention before it, and sets the key's TTL to the retention again
   */
  businessSessions (businessId: string): string { return `${this.prefix}business-sessions:${businessId}` }
  /** the completed flow 2 sessions of a person, as businessSessions: a deauthorize revokes them */
  userSessions (userId: string): string { return `${this.prefix}user-sessions:${userId}` }
  /** the sessions whose expiry notices are scheduled, under the owner (noticeOwner) a later session supersedes */
  noticeHolders (owner: string): string { return `${this.prefix}notice-holders:${owner}` }
  /** completed sessions whose provisioning is not done, by the time of its next attempt */
  get provisioning (): string { return `${this.prefix}sessions:provisioning` }
  /** expiry notices not yet sent (noticeMember), by when each is due: sent or cancelled, a notice leaves it */
  get notices (): string { return `${this.prefix}sessions:notices` }
  /** a key no script writes: it fills the place of an optional key, so every script's keys are a fixed list */
  get unused (): string { return `${this.prefix}unused` }
  /** pending sessions by expiry, as `flow:id`: an outcome removes its session, the sweep the expired ones */
  get expiries (): string { return `${this.prefix}sessions:expiries` }
  /** processing sessions by the time of their next attempt, as session IDs: the resumption sweep reads it */
  get processing (): string { return `${this.prefix}sessions:processing` }
}

/** the expiry index's member of a session: its flow travels with it, so an expiry is counted by flow */
export const expiryMember = (flow: string, sessionId: string): string => `${flow}:${sessionId}`

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
export function defineCommands (redis: Redis, commands: Record<string, { numberOfKeys?: number; lua: string }>): void {
  for (const [name, definition] of Object.entries(commands)) redis.defineCommand(name, definition)
}
