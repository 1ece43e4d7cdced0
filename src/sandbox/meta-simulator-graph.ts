// The Graph and api-host endpoints the service calls, as pure functions of the request and the simulator's state.
import { createHmac, timingSafeEqual } from 'node:crypto'
import { MSG, graphError, json } from './meta-simulator-http.js'
import type { SimResponse } from './meta-simulator-http.js'
import { SHORT_LIVED_SECONDS, debugTokenData, tokenProblem } from './meta-simulator-store.js'
import type { SimulatorStore, TokenRecord } from './meta-simulator-store.js'
import type { SimulatedEndpoint } from './meta-simulator-types.js'

export interface SimRequest {
  path: string
  query: Record<string, string>
  headers: Record<string, string | string[] | undefined>
  /** Fields of a multipart/form-data or x-www-form-urlencoded body; undefined for any other body. */
  form: Record<string, string> | undefined
  /** which of the two the form came as: some of Meta's endpoints document only one */
  bodyType: 'multipart' | 'urlencoded' | undefined
}

/** one of the simulator's endpoints: which requests it takes, the name its calls are recorded under, its answer */
export interface SimRoute {
  method: string
  path: RegExp
  endpoint: (req: SimRequest) => SimulatedEndpoint | 'other'
  handle: (req: SimRequest, match: RegExpExecArray) => SimResponse
}

export interface SimContext {
  appId: string
  appSecret: string
  store: SimulatorStore
  nowSeconds: () => number
  baseUrl: string
  assetConnections: Array<{ systemUserId: string, assetId: string }>
}

const PAGE_SIZE = 2
const PROOF_MAX_SKEW_SECONDS = 300

function checkApp (q: Record<string, string>, ctx: SimContext): SimResponse | undefined {
  if (q['client_id'] !== ctx.appId) return graphError({ code: 101, message: MSG.badAppId })
  if (q['client_secret'] !== ctx.appSecret) return graphError({ code: 1, message: MSG.badSecret })
  return undefined
}

export function exchangeCode (req: SimRequest, ctx: SimContext): SimResponse {
  const q = req.query
  const appProblem = checkApp(q, ctx)
  if (appProblem !== undefined) return appProblem
  const record = q['code'] === undefined ? undefined : ctx.store.code(q['code'])
  if (record === undefined) return graphError({ code: 100, error_subcode: 36007, message: MSG.badCodeFormat })
  if (record.used) {
    return graphError({ code: 100, message: MSG.codeUsed }, 400,
      { 'www-authenticate': `OAuth "Facebook Platform" "invalid_code" "${MSG.codeUsed}"` })
  }
  // Like Meta, a code is spent by the first attempt that reaches it, even when redirect_uri then fails.
  record.used = true
  const sent = q['redirect_uri']
  const redirectOk = record.redirectUri === undefined ? sent === undefined : sent === record.redirectUri
  if (!redirectOk) return graphError({ code: 100, error_subcode: 36008, message: MSG.redirectMismatch })
  const token = ctx.store.issueToken(record.grant, false)
  return record.grant.kind === 'system_user'
    ? json({ access_token: token, token_type: 'bearer' })
    : json({ access_token: token, token_type: 'bearer', expires_in: SHORT_LIVED_SECONDS })
}

export function exchangeLongLived (req: SimRequest, ctx: SimContext): SimResponse {
  const appProblem = checkApp(req.query, ctx)
  if (appProblem !== undefined) return appProblem
  const record = ctx.store.token(req.query['fb_exchange_token'])
  // Only user tokens have a long-lived form; system-user tokens already never expire.
  if (record === undefined || record.grant.kind !== 'user' || tokenProblem(record, ctx.nowSeconds()) !== undefined) {
    return graphError({ code: 190, message: MSG.invalidToken })
  }
  const token = ctx.store.issueToken(record.grant, true)
  return json({ access_token: token, token_type: 'bearer', expires_in: ctx.store.longLivedSeconds })
}

export function debugToken (req: SimRequest, ctx: SimContext): SimResponse {
  if (req.query['access_token'] !== `${ctx.appId}|${ctx.appSecret}`) return graphError({ code: 190, message: MSG.badAppToken })
  const input = req.query['input_token']
  if (input === undefined || input === '') return graphError({ code: 100, message: MSG.inputTokenRequired })
  const record = ctx.store.token(input)
  if (record === undefined) {
    return json({ data: { is_valid: false, error: { code: 190, message: MSG.invalidToken }, scopes: [] } })
  }
  return json({ data: debugTokenData(record, ctx.nowSeconds()) })
}

function proofMatches (token: string, time: string, proof: string, secret: string): boolean {
  const expected = createHmac('sha256', secret).update(`${token}|${time}`).digest()
  const given = /^[0-9a-f]{64}$/.test(proof) ? Buffer.from(proof, 'hex') : undefined
  return given !== undefined && timingSafeEqual(expected, given)
}

/** Meta's refusal of a call's appsecret_proof for `token` (parameters from the query or a form body), or undefined */
export function proofProblem (token: string, params: Record<string, string>, ctx: SimContext): SimResponse | undefined {
  const proof = params['appsecret_proof']
  if (proof === undefined) return graphError({ code: 100, type: 'GraphMethodException', message: MSG.proofRequired })
  const time = params['appsecret_time'] ?? ''
  const fresh = /^\d+$/.test(time) && Math.abs(ctx.nowSeconds() - Number(time)) <= PROOF_MAX_SKEW_SECONDS
  if (!fresh || !proofMatches(token, time, proof, ctx.appSecret)) {
    return graphError({ code: 100, type: 'GraphMethodException', message: MSG.badProof })
  }
  return undefined
}

// Token first, then proof: Meta cannot check a proof for a token it does not know.
function authenticate (req: SimRequest, ctx: SimContext): TokenRecord | SimResponse {
  const q = req.query
  const token = q['access_token']
  if (token === undefined || token === '') return graphError({ code: 2500, message: MSG.noToken })
  const record = ctx.store.token(token)
  const problem = tokenProblem(record, ctx.nowSeconds())
  if (problem !== undefined || record === undefined) {
    return graphError({ code: 190, error_subcode: problem?.subcode ?? 467, message: problem?.message ?? MSG.unparsableToken })
  }
  return proofProblem(token, q, ctx) ?? record
}

export function isResponse<T extends object> (value: T | SimResponse): value is SimResponse {
  return 'status' in value
}

export function requestedFields (q: Record<string, string>, fallback: string[]): string[] {
  const fields = q['fields']
  return fields === undefined || fields === '' ? fallback : fields.split(',').map((f) => f.trim()).filter((f) => f !== '')
}

export function me (req: SimRequest, ctx: SimContext): SimResponse {
  const auth = authenticate(req, ctx)
  if (isResponse(auth)) return auth
  const g = auth.grant
  const values: Record<string, string | undefined> = {
    id: g.userId,
    name: g.kind === 'system_user' ? 'Sandbox System User' : 'Sandbox Admin',
    // A user token's node has no business; omitting the field is how the service notices a non-system-user token.
    client_business_id: g.kind === 'system_user' ? g.businessId : undefined
  }
  const body: Record<string, string> = {}
  for (const field of requestedFields(req.query, ['name', 'id'])) {
    if (!(field in values)) {
      return graphError({ code: 100, message: `(#100) Tried accessing nonexisting field (${field}) on node type (User)` })
    }
    const value = values[field]
    if (value !== undefined) body[field] = value
  }
  return json(body)
}

const cursorOf = (id: string): string => Buffer.from(id).toString('base64url')

// Two items per page by default so that every client exercises paging.next.
function page (req: SimRequest, ctx: SimContext, ids: string[], item: (id: string) => Record<string, string>): SimResponse {
  const q = req.query
  const asked = Number(q['limit'])
  const limit = Number.isInteger(asked) && asked > 0 && asked <= 100 ? asked : PAGE_SIZE
  const after = q['after']
  const afterIndex = after === undefined ? -1 : ids.findIndex((id) => cursorOf(id) === after)
  // An unknown cursor points past the end, as a stale cursor does on Meta: an empty page, not an error.
  const start = after === undefined ? 0 : afterIndex === -1 ? ids.length : afterIndex + 1
  const slice = ids.slice(start, start + limit)
  const first = slice[0]
  const last = slice[slice.length - 1]
  if (first === undefined || last === undefined) return json({ data: [] })
  const paging: Record<string, unknown> = { cursors: { before: cursorOf(first), after: cursorOf(last) } }
  if (start + limit < ids.length) {
    const next = new URLSearchParams({ access_token: q['access_token'] ?? '' })
    if (q['fields'] !== undefined) next.set('fields', q['fields'])
    next.set('limit', String(limit))
    next.set('after', cursorOf(last))
    paging['next'] = `${ctx.baseUrl}${req.path}?${next.toString()}`
  }
  return json({ data: slice.map(item), paging })
}

export function accounts (req: SimRequest, ctx: SimContext): SimResponse {
  const auth = authenticate(req, ctx)
  if (isResponse(auth)) return auth
  // Meta answers /me/accounts only to a token with pages_show_list (https://developers.facebook.com/docs/pages/access-tokens/);
  // the exact error is not documented (docs/meta.md): a permission error of the family Meta documents (code 200)
  if (!auth.grant.scopes.includes('pages_show_list')) {
    return graphError({ code: 200, message: '(#200) The pages_show_list permission is required to list the Pages of this user' }, 403)
  }
  return page(req, ctx, auth.grant.pageIds, (id) => ({ id }))
}

export function adAccounts (req: SimRequest, ctx: SimContext): SimResponse {
  const auth = authenticate(req, ctx)
  if (isResponse(auth)) return auth
  return page(req, ctx, auth.grant.adAccountIds, (id) => ({ account_id: id, id: `act_${id}` }))
}

export function connectAsset (req: SimRequest, ctx: SimContext, systemUserId: string): SimResponse {
  const authorization = req.headers['authorization']
  const match = typeof authorization === 'string' ? /^Bearer\s+(\S+)$/i.exec(authorization) : null
  if (match === null) return graphError({ code: 104, message: MSG.tokenRequired })
  const record = ctx.store.token(match[1])
  const problem = tokenProblem(record, ctx.nowSeconds())
  if (problem !== undefined || record === undefined) {
    return graphError({ code: 190, error_subcode: problem?.subcode ?? 467, message: problem?.message ?? MSG.unparsableToken })
  }
  if (record.grant.kind !== 'system_user' || record.grant.userId !== systemUserId) {
    return graphError({
      code: 100,
      error_subcode: 33,
      type: 'GraphMethodException',
      message: `Unsupported post request. Object with ID '${systemUserId}' does not exist, cannot be loaded due to missing permissions, or does not support this operation.`
    })
  }
  // Only the documented `curl --form` body counts, so a client sending JSON or urlencoded is caught here, not in production.
  const assetId = req.bodyType === 'multipart' ? req.form?.['asset_id'] : undefined
  if (assetId === undefined || assetId === '') return graphError({ code: 100, message: MSG.assetIdRequired })
  if (!/^\d+$/.test(assetId)) return graphError({ code: 100, message: '(#100) Param asset_id must be a valid ID' })
  // Meta documents no answer for a connection that already exists (docs/meta.md): the simulator refuses it with
  // an error of its own, so the service's handling of a refusal is what is exercised
  if (ctx.assetConnections.some((c) => c.systemUserId === systemUserId && c.assetId === assetId)) {
    return graphError({ code: 100, message: '(#100) The asset is already connected to this system user (simulated; Meta\'s answer is not documented)' })
  }
  ctx.assetConnections.push({ systemUserId, assetId })
  return json({ success: true }, 202)
}

/** `/{system-user-id}/assigned_ad_accounts` (Marketing API, System User reference): the ad accounts connected to it */
export function assignedAdAccounts (req: SimRequest, ctx: SimContext, systemUserId: string): SimResponse {
  const auth = authenticate(req, ctx)
  if (isResponse(auth)) return auth
  if (auth.grant.kind !== 'system_user' || auth.grant.userId !== systemUserId) {
    return graphError({ code: 100, error_subcode: 33, type: 'GraphMethodException', message: `Unsupported get request. Object with ID '${systemUserId}' does not exist, cannot be loaded due to missing permissions, or does not support this operation.` })
  }
  const ids = ctx.assetConnections.filter((c) => c.systemUserId === systemUserId).map((c) => c.assetId)
  return page(req, ctx, ids, (id) => ({ account_id: id, id: `act_${id}` }))
}
