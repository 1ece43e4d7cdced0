// The Meta calls of an onboarding, in the order the pipeline makes them. The code exchange is made once and never
// retried (a code is single-use); the calls after it share one time budget and retry transient failures.
import type { Dispatcher } from 'undici'
import type { Metrics } from '../observability/metrics.js'
import type { MetaEndpoint } from './meta-endpoints.js'
import { appsecretProof } from './appsecret-proof.js'
import { MetaCallError } from './meta-call-error.js'
import { callMeta } from './meta-transport.js'

export interface MetaClientOptions {
  appId: string
  appSecret: string
  graphUrl: string
  apiUrl: string
  graphVersion: string
  timeoutMs: number
  dispatcher?: Dispatcher
  metrics?: Metrics
  /** first retry delay; doubled for the next (the contract: "backoff from about 200 ms") */
  retryBaseMs?: number
  now?: () => number
}

export interface TokenInfo {
  isValid: boolean
  appId: string | null
  type: string | null
  /** Unix seconds; 0 = never */
  expiresAt: number
  scopes: string[]
  /** per scope: the target IDs Meta listed, or null when the entry carries none */
  targetIds: Map<string, string[] | null>
}

export interface ExchangedToken { accessToken: string; expiresIn: number | null }

/** What provisioning reads of an ad account (Marketing API, Ad Account reference); null where Meta gave nothing */
export interface AdAccountInfo {
  accountStatus: number | null
  disableReason: number | null
  /** ISO 3166 alpha-2, upper case */
  businessCountryCode: string | null
  /** whether Meta lists a funding source (a payment method) */
  hasPaymentMethod: boolean
}

/** The deadline shared by the calls after the exchange: at most 3 × META_TIMEOUT_MS together. */
export interface Budget { deadline: number }

const MAX_ATTEMPTS = 3
const MAX_PAGES = 100

const record = (value: unknown): Record<string, unknown> =>
  value !== null && typeof value === 'object' ? value as Record<string, unknown> : {}

const idString = (value: unknown): string | null =>
  (typeof value === 'string' && value.length > 0) || typeof value === 'number' ? String(value) : null

export class MetaClient {
  readonly #o: Required<Omit<MetaClientOptions, 'dispatcher' | 'metrics'>> & Pick<MetaClientOptions, 'dispatcher' | 'metrics'>

  constructor (options: MetaClientOptions) {
    this.#o = { retryBaseMs: 200, now: Date.now, ...options }
  }

  startBudget (): Budget {
    return { deadline: this.#o.now() + 3 * this.#o.timeoutMs }
  }

  #graph (path: string, query: Record<string, string>): URL {
    const url = new URL(`${this.#o.graphUrl}/${this.#o.graphVersion}/${path}`)
    for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v)
    return url
  }

  #withProof (token: string, query: Record<string, string>): Record<string, string> {
    return { ...query, access_token: token, ...appsecretProof(token, this.#o.appSecret, this.#o.now()) }
  }

  #call (endpoint: MetaEndpoint, url: URL, timeoutMs: number, init: { method?: 'GET' | 'POST'; headers?: Record<string, string>; body?: Buffer | string } = {}) {
    return callMeta({ endpoint, url, timeoutMs, ...init }, { dispatcher: this.#o.dispatcher, metrics: this.#o.metrics })
  }

  /** retries transient failures with backoff, within the shared budget */
  async #retrying<T> (endpoint: MetaEndpoint, budget: Budget, attempt: (timeoutMs: number) => Promise<T>): Promise<T> {
    for (let n = 1; ; n++) {
      const left = budget.deadline - this.#o.now()
      if (left <= 0) throw new MetaCallError(endpoint, 'timeout')
      try {
        return await attempt(Math.min(this.#o.timeoutMs, left))
      } catch (err) {
        if (!(err instanceof MetaCallError) || !err.transient || n >= MAX_ATTEMPTS) throw err
        const delay = this.#o.retryBaseMs * 2 ** (n - 1) * (0.8 + Math.random() * 0.4)
        if (this.#o.now() + delay >= budget.deadline) throw err
        await new Promise((resolve) => setTimeout(resolve, delay))
      }
    }
  }

  #token (endpoint: MetaEndpoint, body: unknown): ExchangedToken {
    const b = record(body)
    if (typeof b.access_token !== 'string' || b.access_token.length === 0) throw new MetaCallError(endpoint, 'bad_response', 200)
    const expiresIn = Number(b.expires_in)
    return { accessToken: b.access_token, expiresIn: Number.isFinite(expiresIn) && expiresIn > 0 ? expiresIn : null }
  }

  /** Step 1. `redirectUri` must be byte-identical to the dialog's; omitted for a code from the JS SDK. */
  async exchangeCode (code: string, redirectUri?: string): Promise<ExchangedToken> {
    const query: Record<string, string> = { client_id: this.#o.appId, client_secret: this.#o.appSecret, code }
    if (redirectUri !== undefined) query.redirect_uri = redirectUri
    return this.#token('exchange', await this.#call('exchange', this.#graph('oauth/access_token', query), this.#o.timeoutMs))
  }

  /** Step 2, authenticated by the app token `APP_ID|APP_SECRET`. */
  async debugToken (token: string, budget: Budget): Promise<TokenInfo> {
    const url = this.#graph('debug_token', { input_token: token, access_token: `${this.#o.appId}|${this.#o.appSecret}` })
    const body = await this.#retrying('debug_token', budget, (t) => this.#call('debug_token', url, t))
    const data = record(record(body).data)
    if (Object.keys(data).length === 0) throw new MetaCallError('debug_token', 'bad_response', 200)
    const targetIds = new Map<string, string[] | null>()
    for (const entry of Array.isArray(data.granular_scopes) ? data.granular_scopes : []) {
      const e = record(entry)
      if (typeof e.scope !== 'string') continue
      const ids = Array.isArray(e.target_ids) ? e.target_ids.map(idString).filter((v): v is string => v !== null) : null
      targetIds.set(e.scope, ids)
    }
    return {
      isValid: data.is_valid === true,
      appId: idString(data.app_id),
      type: typeof data.type === 'string' ? data.type : null,
      expiresAt: Number(data.expires_at ?? 0) || 0,
      scopes: Array.isArray(data.scopes) ? data.scopes.filter((s): s is string => typeof s === 'string') : [],
      targetIds
    }
  }

  /** Step 3: `/me` with the token and its appsecret_proof. */
  async me (token: string, fields: string, budget: Budget): Promise<{ id: string | null; clientBusinessId: string | null }> {
    const body = record(await this.#retrying('me', budget, (t) =>
      this.#call('me', this.#graph('me', this.#withProof(token, { fields })), t)))
    return { id: idString(body.id), clientBusinessId: idString(body.client_business_id) }
  }

  /** Pages (`/me/accounts`) or ad accounts (`/me/adaccounts`) the token can use, following `paging.next`. */
  async listAssets (token: string, kind: 'accounts' | 'adaccounts', budget: Budget): Promise<string[]> {
    return await this.#listIds(`me/${kind}`, kind === 'accounts' ? 'id' : 'account_id', token, budget)
  }

  /**
   * The ad accounts assigned to a system user (`/{system-user-id}/assigned_ad_accounts`, System User reference,
   * https://developers.facebook.com/documentation/ads-commerce/marketing-api/reference/system-user/assigned_ad_accounts): how flow 3
   * tells that the partner's ad account is already connected when a repeated connection is refused.
   */
  async assignedAdAccounts (systemUserId: string, token: string, budget: Budget): Promise<string[]> {
    return await this.#listIds(`${encodeURIComponent(systemUserId)}/assigned_ad_accounts`, 'account_id', token, budget)
  }

  async #listIds (path: string, field: 'id' | 'account_id', token: string, budget: Budget): Promise<string[]> {
    const ids: string[] = []
    let query: Record<string, string> = { fields: field, limit: '100' }
    for (let page = 0; page < MAX_PAGES; page++) {
      const url = this.#graph(path, this.#withProof(token, query))
      const body = record(await this.#retrying('assets', budget, (t) => this.#call('assets', url, t)))
      for (const item of Array.isArray(body.data) ? body.data : []) {
        const id = idString(record(item)[field]) ?? idString(record(item).id)
        if (id !== null) ids.push(id)
      }
      const after = this.#nextCursor(record(body.paging))
      if (after === null) break
      query = { fields: field, limit: '100', after }
    }
    return ids
  }

  // Meta's `next` is an absolute URL carrying the token; rather than following a URL from a response (an
  // SSRF risk if it ever pointed elsewhere), the cursor is taken from it and the call rebuilt here.
  #nextCursor (paging: Record<string, unknown>): string | null {
    if (typeof paging.next !== 'string') return null
    const cursor = record(paging.cursors).after
    if (typeof cursor === 'string' && cursor.length > 0) return cursor
    try {
      return new URL(paging.next).searchParams.get('after')
    } catch {
      return null
    }
  }

  /** Flow 2: the user token exchanged for a long-lived one (about 60 days). */
  async exchangeLongLived (token: string, budget: Budget): Promise<ExchangedToken> {
    const url = this.#graph('oauth/access_token', {
      grant_type: 'fb_exchange_token',
      client_id: this.#o.appId,
      client_secret: this.#o.appSecret,
      fb_exchange_token: token
    })
    return this.#token('long_lived', await this.#retrying('long_lived', budget, (t) => this.#call('long_lived', url, t)))
  }

  /** Flow 3: connect the partner's ad account to the business's system user (api host, no version, multipart). */
  async connectAsset (systemUserId: string, token: string, assetId: string, budget: Budget): Promise<void> {
    const url = new URL(`${this.#o.apiUrl}/system_accounts/${encodeURIComponent(systemUserId)}/asset-connections`)
    // encoded once, as bytes with their content type: undici 7 streaming a FormData stalls on Node 24
    const form = new FormData()
    form.set('asset_id', assetId)
    const encoded = new Response(form)
    const multipart = Buffer.from(await encoded.arrayBuffer())
    const headers = { authorization: `Bearer ${token}`, 'content-type': encoded.headers.get('content-type')! }
    const body = record(await this.#retrying('asset_connections', budget, (t) =>
      this.#call('asset_connections', url, t, { method: 'POST', headers, body: multipart })))
    if (body.success !== true) throw new MetaCallError('asset_connections', 'bad_response', 200)
  }

  /**
   * Provisioning: the Page's own token, read with the onboarding token (`GET /{page-id}?fields=access_token`,
   * https://developers.facebook.com/docs/pages/access-tokens/). Meta answers it only to a token whose person or
   * system user has a task on the Page; an answer without it is a refusal, not a passing failure (docs/meta.md).
   */
  async pageAccessToken (token: string, pageId: string, budget: Budget): Promise<string> {
    const url = this.#graph(encodeURIComponent(pageId), this.#withProof(token, { fields: 'access_token' }))
    const body = record(await this.#retrying('page_token', budget, (t) => this.#call('page_token', url, t)))
    if (typeof body.access_token !== 'string' || body.access_token.length === 0) throw new MetaCallError('page_token', 'bad_response', 200)
    return body.access_token
  }

  /**
   * Provisioning: the app subscribed to the Page's webhook fields, **with the Page token** and its own proof
   * (`POST /{page-id}/subscribed_apps`, https://developers.facebook.com/docs/graph-api/reference/page/subscribed_apps/).
   * The parameters go in a form body, not the URL, so no proxy log sees the Page token. Subscribing again
   * replaces the fields, so a retry is harmless.
   */
  async subscribeApp (pageToken: string, pageId: string, fields: readonly string[], budget: Budget): Promise<void> {
    const url = this.#graph(`${encodeURIComponent(pageId)}/subscribed_apps`, {})
    const form = new URLSearchParams(this.#withProof(pageToken, { subscribed_fields: fields.join(',') })).toString()
    const headers = { 'content-type': 'application/x-www-form-urlencoded' }
    const body = record(await this.#retrying('subscribed_apps', budget, (t) =>
      this.#call('subscribed_apps', url, t, { method: 'POST', headers, body: form })))
    if (body.success !== true) throw new MetaCallError('subscribed_apps', 'bad_response', 200)
  }

  /**
   * Readiness: what Marketing Messages needs of an ad account (`GET /act_{id}?fields=account_status,
   * disable_reason,business_country_code,funding_source_details`, Marketing API Ad Account reference,
   * https://developers.facebook.com/docs/marketing-api/reference/ad-account/). `accountId` is `act_<digits>`.
   */
  async adAccount (token: string, accountId: string, budget: Budget): Promise<AdAccountInfo> {
    const fields = 'account_status,disable_reason,business_country_code,funding_source_details'
    const url = this.#graph(encodeURIComponent(accountId), this.#withProof(token, { fields }))
    const body = record(await this.#retrying('ad_account', budget, (t) => this.#call('ad_account', url, t)))
    if (idString(body.id) === null && body.account_status === undefined) throw new MetaCallError('ad_account', 'bad_response', 200)
    const status = Number(body.account_status)
    const reason = Number(body.disable_reason)
    const country = typeof body.business_country_code === 'string' && /^[A-Za-z]{2}$/.test(body.business_country_code)
      ? body.business_country_code.toUpperCase()
      : null
    const funding = record(body.funding_source_details)
    return {
      accountStatus: Number.isInteger(status) ? status : null,
      disableReason: Number.isInteger(reason) ? reason : null,
      businessCountryCode: country,
      hasPaymentMethod: Object.keys(funding).length > 0
    }
  }
}
