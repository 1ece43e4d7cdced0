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

  #call (endpoint: MetaEndpoint, url: URL, timeoutMs: number, init: { method?: 'GET' | 'POST'; headers?: Record<string, string>; body?: Buffer } = {}) {
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
}
