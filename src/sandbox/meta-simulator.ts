// A simulated Meta (Graph API, api host and login dialog) on loopback, for the tests and the local sandbox.
// One origin serves META_GRAPH_URL, META_API_URL and META_DIALOG_URL alike.
import type { AddressInfo } from 'node:net'
import Fastify from 'fastify'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { DECIDE_PATH, DIALOG_PATH, approvalUrl, denialUrl, misanswerUrl } from './meta-simulator-dialog.js'
import { DialogEndpoints } from './meta-simulator-dialog-endpoints.js'
import { ASSETS_PATH } from './meta-simulator-login.js'
import { accounts, adAccounts, assignedAdAccounts, connectAsset, debugToken, exchangeCode, exchangeLongLived, me } from './meta-simulator-graph.js'
import type { SimContext, SimRequest, SimRoute } from './meta-simulator-graph.js'
import { graphError, plain, readForm, sleepUnlessGone } from './meta-simulator-http.js'
import type { SimResponse } from './meta-simulator-http.js'
import { FailurePlan } from './meta-simulator-failures.js'
import { SimulatorStore, cloneGrant } from './meta-simulator-store.js'
import { Provisioning } from './meta-simulator-provisioning.js'
import { appWebhookBody, businessIntegrationValue, postAppWebhook, postSignedRequest, signSignedRequest, signedRequestPayload, verifySubscription } from './meta-simulator-callbacks.js'
import type { CallbackAnswer, SignedRequestFields } from './meta-simulator-callbacks.js'
import type { DialogMisanswer, Failure, MetaSimulatorOptions, RecordedCall, SimulatedAdAccount, SimulatedEndpoint, SimulatedGrant } from './meta-simulator-types.js'

export type { DialogMisanswer, Failure, GraphErrorSpec, MetaSimulatorOptions, RecordedCall, SimulatedAdAccount, SimulatedEndpoint, SimulatedGrant } from './meta-simulator-types.js'

/** the app callbacks Meta makes to the app's own endpoints */
export type AppCallback = 'deauthorize' | 'data_deletion' | 'business_integration_uninstall'
/** whom an app callback concerns: the portfolio of a Business Integration change, the person of a deauthorize */
export interface AppCallbackSubject { businessId?: string | undefined, userId?: string | undefined }

const VERSION = String.raw`/v\d+\.\d+`

export class MetaSimulator {
  readonly appId: string
  calls: RecordedCall[] = []
  assetConnections: Array<{ systemUserId: string, assetId: string }> = []

  private readonly appSecret: string
  private readonly host: string
  private readonly port: number
  private readonly latencyMs: number
  private readonly nowMs: () => number
  private readonly store: SimulatorStore
  private readonly provisioning = new Provisioning()
  private readonly failures: FailurePlan
  private readonly sleepers = new Set<() => void>()
  private readonly dialogs: DialogEndpoints
  private readonly app: FastifyInstance
  private origin: string | undefined

  constructor (opts: MetaSimulatorOptions) {
    this.appId = opts.appId
    this.appSecret = opts.appSecret
    this.host = opts.host ?? '127.0.0.1'
    this.port = opts.port ?? 0
    this.latencyMs = opts.latencyMs ?? 0
    this.nowMs = opts.now ?? Date.now
    this.failures = new FailurePlan(this.nowMs)
    this.store = new SimulatorStore(this.appId, () => this.nowMs(), opts.codeLifetimeMs)
    this.dialogs = new DialogEndpoints({
      appId: this.appId,
      dialogConfigs: opts.dialogConfigs ?? {},
      redirectUris: opts.redirectUris ?? [],
      beforeApproval: opts.beforeApproval,
      issueCode: (grant, redirectUri) => this.store.issueCode(grant, redirectUri)
    })
    this.app = this.buildServer()
  }

  get url (): string {
    if (this.origin === undefined) throw new Error('MetaSimulator is not started')
    return this.origin
  }

  async start (): Promise<void> {
    await this.app.listen({ host: this.host, port: this.port })
    const { port } = this.app.server.address() as AddressInfo
    this.origin = `http://${this.host.includes(':') ? `[${this.host}]` : this.host}:${port}`
  }

  async close (): Promise<void> {
    // Hanging answers (latency, delayMs) would otherwise keep the process alive after the tests end.
    for (const wake of [...this.sleepers]) wake()
    await this.app.close()
  }

  callsTo (endpoint: SimulatedEndpoint): RecordedCall[] {
    return this.calls.filter((call) => call.endpoint === endpoint)
  }

  reset (): void {
    // splice keeps the arrays' identity for callers holding a reference.
    this.calls.splice(0)
    this.assetConnections.splice(0)
    this.failures.clear()
    this.store.clear()
    this.provisioning.clear()
  }

  failNext (endpoint: SimulatedEndpoint, failure: Failure, times = 1): void {
    this.failures.add(endpoint, failure, times)
  }

  /** Meta's throttling: every call to `endpoint` fails for `ms`, with the usage header saying how long */
  throttle (endpoint: SimulatedEndpoint, ms: number): void {
    this.failures.throttle(endpoint, ms)
  }

  /** how long the long-lived user tokens issued from now on last (default about 60 days, as Meta's) */
  setLongLivedLifetime (seconds: number): void {
    this.store.longLivedSeconds = seconds
  }

  /** the Pages the app is subscribed to (with a Page token, by `POST /{page-id}/subscribed_apps`), and their fields */
  pageSubscriptions (): Array<{ pageId: string, fields: string[] }> {
    return this.provisioning.pages.subscriptions()
  }

  /** what ad account `id` (digits or `act_…`) answers from now on; fields left out keep their value */
  setAdAccount (id: string, state: SimulatedAdAccount): void {
    this.provisioning.adAccounts.set(id, state)
  }

  issueCode (grant: SimulatedGrant, redirectUri?: string): string {
    return this.store.issueCode(grant, redirectUri)
  }

  /** adds to the app's Valid OAuth Redirect URIs: once any is registered, the dialog takes only those */
  registerRedirectUri (uri: string): void {
    this.dialogs.registerRedirectUri(uri)
  }

  approve (dialogUrl: string, grant: SimulatedGrant): string {
    const request = this.dialogs.parse(dialogUrl)
    return approvalUrl(request, this.store.issueCode(grant, request.redirectUri))
  }

  deny (dialogUrl: string): string {
    return denialUrl(this.dialogs.parse(dialogUrl))
  }

  /** the redirect back without a code: `app_not_setup` (error_code 1349126 alone), `no_code` (the state alone), `login_error` */
  misanswer (dialogUrl: string, kind: DialogMisanswer): string {
    return misanswerUrl(this.dialogs.parse(dialogUrl), kind)
  }

  tokenInfo (accessToken: string): { grant: SimulatedGrant, longLived: boolean } | undefined {
    const record = this.store.token(accessToken)
    return record === undefined ? undefined : { grant: cloneGrant(record.grant), longLived: record.longLived }
  }

  /** a signed_request for the deauthorize or data deletion callback, signed with the app secret */
  signedRequest (fields: SignedRequestFields = signedRequestPayload(Math.floor(this.nowMs() / 1000))): string {
    return signSignedRequest(fields, this.appSecret)
  }

  /**
   * Sends one of Meta's app callbacks to the service at `serviceUrl` (its PUBLIC_BASE_URL), signed as Meta signs
   * it: the dashboard's deauthorize callback for `userId` (e.g. the person of a completed Flow 2 onboarding; a
   * fresh app-scoped user if none) or data deletion callback, or a `business_integration_uninstall` webhook for
   * `businessId` (e.g. the business of a completed onboarding; a fresh portfolio if none).
   */
  async sendAppCallback (kind: AppCallback, serviceUrl: string, { businessId, userId }: AppCallbackSubject = {}): Promise<CallbackAnswer> {
    const now = Math.floor(this.nowMs() / 1000)
    if (kind === 'deauthorize') return await postSignedRequest(`${serviceUrl}/meta/deauthorize`, this.signedRequest(signedRequestPayload(now, userId)))
    if (kind === 'data_deletion') return await postSignedRequest(`${serviceUrl}/meta/data-deletion`, this.signedRequest())
    return await postAppWebhook(`${serviceUrl}/meta/webhooks`, appWebhookBody(this.appId, kind, businessIntegrationValue(businessId), now), this.appSecret)
  }

  /** the handshake Meta makes when the app's Webhooks subscription is saved in the dashboard */
  async verifyWebhookSubscription (serviceUrl: string, verifyToken: string): Promise<CallbackAnswer & { echoed: boolean }> {
    return await verifySubscription(`${serviceUrl}/meta/webhooks`, verifyToken)
  }

  private context (): SimContext {
    return {
      appId: this.appId,
      appSecret: this.appSecret,
      store: this.store,
      nowSeconds: () => Math.floor(this.nowMs() / 1000),
      baseUrl: this.url,
      assetConnections: this.assetConnections
    }
  }

  private routes (): SimRoute[] {
    const fixed = (endpoint: SimulatedEndpoint | 'other') => () => endpoint
    return [
      { method: 'GET', path: DIALOG_PATH, endpoint: fixed('dialog'), handle: (req) => this.dialogs.page(req, 'continue') },
      { method: 'GET', path: new RegExp(`^${ASSETS_PATH}$`), endpoint: fixed('dialog'), handle: (req) => this.dialogs.page(req, 'assets') },
      { method: 'GET', path: new RegExp(`^${DECIDE_PATH}$`), endpoint: fixed('other'), handle: (req) => this.dialogs.decide(req) },
      {
        method: 'GET',
        path: new RegExp(`^${VERSION}/oauth/access_token$`),
        // One path, two operations: Meta tells them apart by grant_type.
        endpoint: (req) => req.query['grant_type'] === 'fb_exchange_token' ? 'long_lived' : 'exchange',
        handle: (req) => req.query['grant_type'] === 'fb_exchange_token'
          ? exchangeLongLived(req, this.context())
          : this.store.expiredCode(req.query, this.appSecret) ?? exchangeCode(req, this.context())
      },
      { method: 'GET', path: new RegExp(`^${VERSION}/debug_token$`), endpoint: fixed('debug_token'), handle: (req) => debugToken(req, this.context()) },
      { method: 'GET', path: new RegExp(`^${VERSION}/me$`), endpoint: fixed('me'), handle: (req) => me(req, this.context()) },
      { method: 'GET', path: new RegExp(`^${VERSION}/me/accounts$`), endpoint: fixed('accounts'), handle: (req) => accounts(req, this.context()) },
      { method: 'GET', path: new RegExp(`^${VERSION}/me/adaccounts$`), endpoint: fixed('adaccounts'), handle: (req) => adAccounts(req, this.context()) },
      {
        method: 'POST',
        path: /^\/system_accounts\/([^/]+)\/asset-connections$/,
        endpoint: fixed('asset_connections'),
        handle: (req, match) => connectAsset(req, this.context(), decodeURIComponent(match[1] ?? ''))
      },
      {
        method: 'GET',
        path: new RegExp(`^${VERSION}/(\\d+)/assigned_ad_accounts$`),
        endpoint: fixed('assigned_ad_accounts'),
        handle: (req, match) => assignedAdAccounts(req, this.context(), match[1] ?? '')
      },
      // provisioning: a Page's token, the app's subscription to a Page, an ad account's readiness
      ...this.provisioning.routes(VERSION, () => this.context())
    ]
  }

  private buildServer (): FastifyInstance {
    // forceCloseConnections: close() must not wait for keep-alive sockets that test clients leave open.
    const app = Fastify({ logger: false, forceCloseConnections: true })
    // Bodies are kept raw: only forms matter (asset connections, subscribed_apps), and Meta answers other
    // bodies with its own error envelope rather than a framework 415/400.
    app.removeAllContentTypeParsers()
    app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => { done(null, body) })
    const routes = this.routes()
    app.route({
      method: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'],
      url: '/*',
      handler: async (request, reply) => { await this.dispatch(routes, request, reply) }
    })
    return app
  }

  private async dispatch (routes: SimRoute[], request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const url = new URL(request.raw.url ?? '/', 'http://simulator.invalid')
    const body = await readForm(request)
    const req: SimRequest = {
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: { ...request.headers },
      form: body?.fields,
      bodyType: body?.type
    }
    let route: SimRoute | undefined
    let match: RegExpExecArray | null = null
    for (const candidate of routes) {
      match = candidate.method === request.method ? candidate.path.exec(req.path) : null
      if (match !== null) { route = candidate; break }
    }
    const endpoint = route?.endpoint(req) ?? 'other'
    // Recorded before latency and failures, so a test sees every attempt the client made.
    this.calls.push({
      endpoint,
      method: request.method,
      path: req.path,
      query: { ...req.query },
      headers: { ...req.headers },
      ...(req.form !== undefined ? { form: { ...req.form } } : {})
    })
    await sleepUnlessGone(this.latencyMs, reply.raw, this.sleepers)
    const failure = endpoint === 'other' ? undefined : this.failures.take(endpoint)
    if (failure !== undefined && 'drop' in failure) {
      reply.hijack()
      request.raw.socket.destroy()
      return
    }
    if (failure !== undefined && 'delayMs' in failure) await sleepUnlessGone(failure.delayMs, reply.raw, this.sleepers)
    let res: SimResponse
    if (failure !== undefined && 'status' in failure) {
      res = failure.graphError !== undefined
        ? graphError(failure.graphError, failure.status, failure.headers)
        : plain(failure.status, failure.headers)
    } else if (route === undefined || match === null) {
      res = graphError({ code: 803, message: `Unknown path components: ${req.path}` }, 404)
    } else {
      res = route.handle(req, match)
    }
    await this.send(reply, res)
  }

  private async send (reply: FastifyReply, res: SimResponse): Promise<void> {
    reply.code(res.status)
    if (res.headers !== undefined) reply.headers(res.headers)
    if (res.contentType !== undefined) reply.type(res.contentType)
    await reply.send(res.body)
  }
}
