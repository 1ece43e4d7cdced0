import { createHash, randomBytes } from 'node:crypto'

/** 128 random bits, hex: unguessable identifiers that are safe in URLs, logs and Redis keys. */
const randomHex = (bytes = 16): string => randomBytes(bytes).toString('hex')

export const newSessionId = (): string => `ses_${randomHex()}`

/**
 * An ID's last hex digit, which spreads records over a Redis Cluster (RedisKeys): for an ID that does not end in
 * one (a data deletion's confirmation code), its last character's code, modulo 16.
 */
export function spreadDigit (id: string): number {
  const last = id.charCodeAt(id.length - 1)
  if (last >= 48 && last <= 57) return last - 48
  if (last >= 97 && last <= 102) return last - 87
  return Number.isNaN(last) ? 0 : last % 16
}

/**
 * 128 bits, hex; `near`: an ID whose spread digit this one takes (124 random bits then), so that an event is
 * kept beside its session, and the events recorded in one step beside one another
 */
export const newEventId = (near?: string): string => near === undefined
  ? `evt_${randomHex()}`
  : `evt_${randomHex().slice(0, 31)}${spreadDigit(near).toString(16)}`

/** 256 bits, base64url (43 characters): the OAuth `state` and the browser nonce. */
export const newSecretToken = (): string => randomBytes(32).toString('base64url')

export const sha256 = (value: string): string => createHash('sha256').update(value).digest('hex')

export const SESSION_ID = /^ses_[0-9a-f]{32}$/
export const SECRET_TOKEN = /^[A-Za-z0-9_-]{43}$/

/**
 * The OAuth `state`: the session it belongs to, then 256 random bits. The session ID is no secret (it is in the
 * login URL); it names where the state is kept, beside its session, so that taking the state and claiming the
 * session are one step (and one hash slot of a Redis Cluster).
 */
// joined by `_`, so the whole state stays within base64url's alphabet, as a state of random bits alone would
export const newLoginState = (sessionId: string): string => `${sessionId}_${newSecretToken()}`
const LOGIN_STATE = /^(ses_[0-9a-f]{32})_[A-Za-z0-9_-]{43}$/
/** the session a state names, null for anything else (an older state without one is SECRET_TOKEN) */
export const loginStateSession = (state: string): string | null => LOGIN_STATE.exec(state)?.[1] ?? null
