import { createHash, randomBytes } from 'node:crypto'

/** 128 random bits, hex: unguessable identifiers that are safe in URLs, logs and Redis keys. */
const randomHex = (bytes = 16): string => randomBytes(bytes).toString('hex')

export const newSessionId = (): string => `ses_${randomHex()}`
export const newEventId = (): string => `evt_${randomHex()}`

/** 256 bits, base64url (43 characters): the OAuth `state` and the browser nonce. */
export const newSecretToken = (): string => randomBytes(32).toString('base64url')

export const sha256 = (value: string): string => createHash('sha256').update(value).digest('hex')

export const SESSION_ID = /^ses_[0-9a-f]{32}$/
export const SECRET_TOKEN = /^[A-Za-z0-9_-]{43}$/
