// Codes and tokens the simulated Meta has handed out, and what debug_token says about them.
import { randomBytes, randomInt } from 'node:crypto'
import { MSG, expiredMessage, graphError, type SimResponse } from './meta-simulator-http.js'
import type { SimulatedGrant } from './meta-simulator-types.js'

export type ResolvedGrant = Required<SimulatedGrant>

export interface CodeRecord {
  grant: ResolvedGrant
  /** undefined: a JS-SDK (FB.login) code, which must be exchanged without any redirect_uri. */
  redirectUri: string | undefined
  used: boolean
  /** epoch ms; after it the exchange answers that the code has expired */
  expiresAtMs: number
}

/** a code's life unless the simulator is told otherwise: docs/meta.md (see codeLifetimeMs) */
export const CODE_LIFETIME_MS = 30_000

export interface TokenRecord {
  grant: ResolvedGrant
  longLived: boolean
  issuedAt: number
  /** Epoch seconds; 0 = never, as debug_token writes it. */
  expiresAt: number
  dataAccessExpiresAt: number
}

const CODE_EXPIRED = 'This authorization code has expired.'

export const SHORT_LIVED_SECONDS = 3600
export const LONG_LIVED_SECONDS = 5183944
const DATA_ACCESS_SECONDS = 90 * 24 * 3600

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'

// Rejection sampling keeps every character equally likely, so tokens stay unguessable (~357 bits for 60 chars).
function base62 (length: number): string {
  let out = ''
  while (out.length < length) {
    for (const byte of randomBytes(length)) {
      if (byte < 248 && out.length < length) out += BASE62[byte % 62]
    }
  }
  return out
}

/** a new access token in Meta's shape: `EAA` and base62 characters */
export function newAccessToken (): string {
  return 'EAA' + base62(60)
}

function digits (length: number): string {
  let out = String(randomInt(1, 10))
  while (out.length < length) out += String(randomInt(0, 10))
  return out
}

export function cloneGrant<T extends SimulatedGrant> (grant: T): T {
  return { ...grant, scopes: [...grant.scopes], pageIds: [...grant.pageIds], adAccountIds: [...grant.adAccountIds] }
}

export class SimulatorStore {
  private codes = new Map<string, CodeRecord>()
  private tokens = new Map<string, TokenRecord>()
  // The same grant object always stands for the same person/system user, even when ids were left to default.
  private generatedIds = new WeakMap<SimulatedGrant, { userId: string, businessId: string }>()
  /** the life of a long-lived user token: Meta's is about 60 days; a test or the sandbox may make it end soon */
  longLivedSeconds = LONG_LIVED_SECONDS

  constructor (
    private readonly appId: string,
    private readonly nowMs: () => number,
    private readonly codeLifetimeMs = CODE_LIFETIME_MS
  ) {}

  private nowSeconds (): number { return Math.floor(this.nowMs() / 1000) }

  resolve (grant: SimulatedGrant): ResolvedGrant {
    let ids = this.generatedIds.get(grant)
    if (ids === undefined) {
      ids = { userId: digits(15), businessId: digits(16) }
      this.generatedIds.set(grant, ids)
    }
    return cloneGrant({
      kind: grant.kind,
      scopes: grant.scopes,
      pageIds: grant.pageIds,
      adAccountIds: grant.adAccountIds,
      targetIds: grant.targetIds ?? true,
      appId: grant.appId ?? this.appId,
      isValid: grant.isValid ?? true,
      businessId: grant.businessId ?? ids.businessId,
      userId: grant.userId ?? ids.userId
    })
  }

  issueCode (grant: SimulatedGrant, redirectUri: string | undefined): string {
    const code = 'AQ' + randomBytes(96).toString('base64url')
    this.codes.set(code, { grant: this.resolve(grant), redirectUri, used: false, expiresAtMs: this.nowMs() + this.codeLifetimeMs })
    return code
  }

  /**
   * The exchange's answer to an unused code past its life, else undefined (and the exchange goes on as usual).
   * Only for the app's own credentials: Meta checks those first. The shape is a real response pasted from the
   * Threads OAuth endpoint, assumed the same for Facebook (UNCONFIRMED: docs/meta.md).
   */
  expiredCode (query: Record<string, string>, appSecret: string): SimResponse | undefined {
    const record = query['code'] === undefined ? undefined : this.codes.get(query['code'])
    if (record === undefined || record.used || record.expiresAtMs > this.nowMs()) return undefined
    if (query['client_id'] !== this.appId || query['client_secret'] !== appSecret) return undefined
    return graphError({ code: 100, error_subcode: 36007, message: CODE_EXPIRED }, 400,
      { 'www-authenticate': `OAuth "Facebook Platform" "invalid_code" "${CODE_EXPIRED}"` })
  }

  code (code: string): CodeRecord | undefined {
    return this.codes.get(code)
  }

  issueToken (grant: ResolvedGrant, longLived: boolean): string {
    const token = newAccessToken()
    const now = this.nowSeconds()
    const system = grant.kind === 'system_user'
    this.tokens.set(token, {
      grant: cloneGrant(grant),
      longLived,
      issuedAt: now,
      expiresAt: system ? 0 : now + (longLived ? this.longLivedSeconds : SHORT_LIVED_SECONDS),
      dataAccessExpiresAt: system ? 0 : now + DATA_ACCESS_SECONDS
    })
    return token
  }

  token (token: string | undefined): TokenRecord | undefined {
    return token === undefined ? undefined : this.tokens.get(token)
  }

  clear (): void {
    this.codes.clear()
    this.tokens.clear()
    this.generatedIds = new WeakMap()
    this.longLivedSeconds = LONG_LIVED_SECONDS
  }
}

function isExpired (record: TokenRecord, now: number): boolean {
  return record.expiresAt !== 0 && record.expiresAt <= now
}

/** Why Meta would refuse this token (code 190 with this subcode), or undefined when it is usable. */
export function tokenProblem (record: TokenRecord | undefined, now: number): { subcode: number, message: string } | undefined {
  if (record === undefined) return { subcode: 467, message: MSG.unparsableToken }
  if (!record.grant.isValid) return { subcode: 460, message: MSG.invalidatedSession }
  if (isExpired(record, now)) return { subcode: 463, message: expiredMessage(record.expiresAt, now) }
  return undefined
}

// Shaped like Meta's own debug_token examples (https://developers.facebook.com/docs/whatsapp/permissions and
// https://developers.facebook.com/documentation/business-messaging/whatsapp/solution-providers/manage-accounts):
// same key order, ids as strings.
export function debugTokenData (record: TokenRecord, now: number): Record<string, unknown> {
  const g = record.grant
  const granular = g.scopes.map((scope) => {
    if (!g.targetIds) return { scope }
    if (scope === 'pages_messaging') return { scope, target_ids: [...g.pageIds] }
    if (scope === 'ads_management') return { scope, target_ids: [...g.adAccountIds] }
    if (scope === 'business_management' && g.kind === 'system_user') return { scope, target_ids: [g.businessId] }
    return { scope }
  })
  const problem = tokenProblem(record, now)
  const data: Record<string, unknown> = {
    app_id: g.appId,
    type: g.kind === 'system_user' ? 'SYSTEM_USER' : 'USER',
    application: 'Sandbox App',
    data_access_expires_at: record.dataAccessExpiresAt,
    expires_at: record.expiresAt,
    is_valid: problem === undefined,
    issued_at: record.issuedAt,
    scopes: [...g.scopes],
    granular_scopes: granular,
    user_id: g.userId
  }
  // debug_token names it `subcode`, unlike the error envelope's `error_subcode`.
  if (problem !== undefined) data['error'] = { code: 190, message: problem.message, subcode: problem.subcode }
  return data
}
