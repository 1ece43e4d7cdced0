// Test harness: the real app on a real Redis (a key prefix of its own per test), the simulated Meta on
// loopback, and a webhook receiver that verifies every delivery with the reference standardwebhooks library.
import { once } from 'node:events'
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Writable } from 'node:stream'
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import { Cluster, Redis } from 'ioredis'
import { Webhook } from 'standardwebhooks'
import { buildApp, type AppDeps } from '../src/app.js'
import { loadConfig, type Config } from '../src/config/config.js'
import type { FlowName } from '../src/flows/flows.js'
import { MetaSimulator, type MetaSimulatorOptions, type SimulatedGrant } from '../src/sandbox/meta-simulator.js'
import { dialogConfigs } from '../src/sandbox/sandbox.js'
import type { Stores } from '../src/store/stores.js'

type Test = { teardown: (fn: () => unknown) => void }

export const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379'
export const APP_ID = '1234567890123'
export const APP_SECRET = 'app-secret-0123456789abcdef0123456789'
export const API_KEY = 'pk_test_0123456789abcdefghijklmnopqrstuv'
export const WEBHOOK_SECRET = 'whsec_' + Buffer.from('webhook-secret-32-bytes-long!!!!').toString('base64')
export const CONFIG_IDS: Record<FlowName, string> = { business_portfolio: '111', asset_based: '222', partner_billing: '333' }
export const PARTNER_AD_ACCOUNT = '998877'
export const RETURN_ORIGIN = 'https://app.example.com'
export const VERIFY_TOKEN = 'verify-token-0123456789abcdef'

export function testEnv (sim: { url: string }, webhookUrl: string, overrides: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  return {
    PUBLIC_BASE_URL: 'https://onboard.example.com',
    META_APP_ID: APP_ID,
    META_APP_SECRET: APP_SECRET,
    META_CONFIG_ID_BUSINESS_PORTFOLIO: CONFIG_IDS.business_portfolio,
    META_CONFIG_ID_ASSET_BASED: CONFIG_IDS.asset_based,
    META_CONFIG_ID_PARTNER_BILLING: CONFIG_IDS.partner_billing,
    PARTNER_AD_ACCOUNT_ID: `act_${PARTNER_AD_ACCOUNT}`,
    META_GRAPH_URL: sim.url,
    META_API_URL: sim.url,
    META_DIALOG_URL: sim.url,
    META_TIMEOUT_MS: '2000',
    WEBHOOK_URL: webhookUrl,
    WEBHOOK_SECRET,
    WEBHOOK_TIMEOUT_MS: '2000',
    WEBHOOK_RETRY_SCHEDULE: '50ms,100ms,100ms',
    PARTNER_API_KEYS: API_KEY,
    TOKEN_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64'),
    COOKIE_SECRET: 'cookie-secret-0123456789abcdefghijkl',
    RETURN_URL_ORIGINS: RETURN_ORIGIN,
    META_WEBHOOK_VERIFY_TOKEN: VERIFY_TOKEN,
    LOG_LEVEL: 'info',
    // provisioning, on by default, would add an event and Meta calls to every onboarding: the tests of
    // test/provisioning/ and test/lifecycle/ turn it on (READINESS_CHECKS: undefined is the default)
    READINESS_CHECKS: 'false',
    ...overrides
  }
}

export interface ReceivedEvent { id: string; type: string; body: Record<string, any>; attempt: number; headers: IncomingHttpHeaders }

/** A partner's webhook endpoint: verifies each request, records it, and answers what the test says. */
export class Receiver {
  readonly events: ReceivedEvent[] = []
  readonly rejected: string[] = []
  /** statuses to answer, in order; then 204 */
  readonly plan: Array<number | { status: number; headers?: Record<string, string>; delayMs?: number }> = []
  #server: Server
  #waiters: Array<() => void> = []
  #verifier = new Webhook(WEBHOOK_SECRET)

  constructor () {
    this.#server = createServer((req, res) => { this.#handle(req, res.writeHead.bind(res), res.end.bind(res)).catch(() => res.destroy()) })
  }

  async #handle (req: IncomingMessage, writeHead: (s: number, h?: Record<string, string>) => unknown, end: () => unknown): Promise<void> {
    const chunks: Buffer[] = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    const raw = Buffer.concat(chunks).toString('utf8')
    try {
      const body = this.#verifier.verify(raw, req.headers as Record<string, string>) as Record<string, any>
      const id = req.headers['webhook-id'] as string
      this.events.push({ id, type: body.type, body, attempt: this.events.filter((e) => e.id === id).length + 1, headers: req.headers })
    } catch (err) {
      this.rejected.push((err as Error).message)
    }
    const next = this.plan.shift() ?? 204
    const answer = typeof next === 'number' ? { status: next } : next
    if (answer.delayMs) await new Promise((resolve) => setTimeout(resolve, answer.delayMs))
    writeHead(answer.status, answer.headers)
    end()
    for (const wake of this.#waiters.splice(0)) wake()
  }

  #port = 0
  /** stays the same while the receiver is closed, so the service keeps calling a dead endpoint */
  get url (): string { return `http://127.0.0.1:${this.#port}/hooks` }

  /** listens again where a closed receiver was, as a partner endpoint coming back */
  async start (): Promise<void> {
    this.#server.listen(this.#port, '127.0.0.1')
    await once(this.#server, 'listening')
    this.#port = (this.#server.address() as AddressInfo).port
  }

  async close (): Promise<void> {
    this.#server.closeAllConnections()
    await new Promise((resolve) => this.#server.close(resolve))
  }

  /** resolves once `predicate` holds for the received events; rejects after `timeoutMs` */
  async waitFor (predicate: (events: ReceivedEvent[]) => boolean, timeoutMs = 5000): Promise<ReceivedEvent[]> {
    const deadline = Date.now() + timeoutMs
    while (!predicate(this.events)) {
      const left = deadline - Date.now()
      if (left <= 0) throw new Error(`webhook receiver: condition not met within ${timeoutMs} ms (${this.events.length} events)`)
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 100))
        this.#waiters.push(() => { clearTimeout(timer); resolve() })
      })
    }
    return this.events
  }
}

/** Every log line the app writes, kept for assertions (and for the no-secret-in-logs test). */
export class LogCapture extends Writable {
  readonly lines: string[] = []
  override _write (chunk: Buffer, _enc: string, done: () => void): void {
    this.lines.push(...chunk.toString('utf8').split('\n').filter(Boolean))
    done()
  }

  get text (): string { return this.lines.join('\n') }
}

export interface Harness {
  app: FastifyInstance
  config: Config
  sim: MetaSimulator
  receiver: Receiver
  redis: Redis
  prefix: string
  logs: LogCapture
  /** the app's stores, as its plugins share them */
  stores: Stores
  /** every route the app serves, as method and pattern (HEAD aside) */
  routes: Array<{ method: string; url: string }>
}

export interface HarnessOptions {
  env?: Record<string, string | undefined>
  /** use the in-process store instead of Redis */
  memory?: boolean
  /** let the app make its own Redis client from this URL (REDIS_URL), as in production */
  redisUrl?: string
  deps?: Partial<AppDeps>
  /** options of the simulated Meta, e.g. a shorter life of its codes */
  sim?: Partial<MetaSimulatorOptions>
}

let counter = 0

/** states and nonces the test browsers were given: none may ever reach a log line */
export const browserSecrets = new Set<string>()

/** every secret a harness knows of, by kind: configuration, and the codes and tokens Meta handed out */
export function knownSecrets (h: Pick<Harness, 'config' | 'sim'>): Array<[string, string]> {
  const secrets: Array<[string, string]> = [
    ['META_APP_SECRET', h.config.meta.appSecret],
    ['COOKIE_SECRET', h.config.cookieSecret],
    ...(h.config.meta.webhookVerifyToken ? [['META_WEBHOOK_VERIFY_TOKEN', h.config.meta.webhookVerifyToken] as [string, string]] : []),
    ...h.config.partnerApiKeys.map((k): [string, string] => ['PARTNER_API_KEYS', k]),
    ...h.config.webhook.secrets.map((k): [string, string] => ['WEBHOOK_SECRET', k.slice('whsec_'.length)]),
    ...h.config.tokenEncryptionKeys.map((k): [string, string] => ['TOKEN_ENCRYPTION_KEY', k.toString('base64')]),
    ...[...browserSecrets].map((v): [string, string] => ['state or nonce', v])
  ]
  for (const call of h.sim.calls) {
    for (const [name, value] of Object.entries(call.query)) {
      if (['code', 'input_token', 'access_token', 'fb_exchange_token', 'client_secret', 'appsecret_proof'].includes(name)) secrets.push([name, value])
    }
    const bearer = call.headers.authorization
    if (typeof bearer === 'string') secrets.push(['bearer token', bearer.replace(/^Bearer /, '')])
  }
  return secrets
}

/** the kinds of secret found in `text`, never the secrets themselves */
export function leakedSecrets (text: string, secrets: Array<[string, string]>): string[] {
  const kinds = new Set<string>()
  for (const [kind, value] of secrets) if (value.length >= 8 && text.includes(value)) kinds.add(kind)
  if (/EAA[A-Za-z0-9]{20,}/.test(text)) kinds.add('token-shaped string')
  return [...kinds]
}

/** A Redis that must answer: in CI a missing Redis fails the tests instead of skipping them. */
export async function testRedis (t: Test): Promise<Redis> {
  const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1, connectTimeout: 2000 })
  await redis.connect().catch((err: Error) => {
    throw new Error(`Redis is required for the tests at ${REDIS_URL}: ${err.message}`)
  })
  t.teardown(() => redis.quit())
  return redis
}

/**
 * A Redis database of the tests' own, emptied before and after, for a service run as its own process (which
 * cannot take a key prefix). tap runs files side by side, so each file has its numbers: server-process 11,
 * webhooks/durability 12 and 13, onboarding/processing 14, provisioning/provisioning-sigkill 10,
 * observability/tracing 8 and 9, observability/no-tracing 7.
 */
export async function ownDatabase (t: Test, db: number): Promise<{ redis: Redis; redisUrl: string }> {
  const redisUrl = `${REDIS_URL.replace(/\/\d*$/, '')}/${db}`
  const redis = new Redis(redisUrl)
  await redis.flushdb()
  t.teardown(async () => { await redis.flushdb(); await redis.quit() })
  return { redis, redisUrl }
}

/** every key under the prefix, on one Redis or on every master of a cluster (keys one by one: they span slots) */
export async function deleteKeys (redis: Redis | Cluster, prefix: string): Promise<void> {
  for (const node of redis instanceof Cluster ? redis.nodes('master') : [redis]) {
    let cursor = '0'
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000)
      if (redis instanceof Cluster) for (const key of keys) await node.del(key)
      else if (keys.length > 0) await node.del(...keys)
      cursor = next
    } while (cursor !== '0')
  }
}

/** the simulated Meta and the partner's receiver, both on loopback, closed after the test */
export async function startPeers (t: Test, simOptions: Partial<MetaSimulatorOptions> = {}): Promise<{ sim: MetaSimulator; receiver: Receiver }> {
  // the service's configurations as the App Dashboard would have them, so the dialog checks what Meta checks
  const sim = new MetaSimulator({ appId: APP_ID, appSecret: APP_SECRET, dialogConfigs: dialogConfigs(CONFIG_IDS), ...simOptions })
  await sim.start()
  t.teardown(() => sim.close())
  const receiver = new Receiver()
  await receiver.start()
  t.teardown(() => receiver.close())
  return { sim, receiver }
}

/** a key's whole content as text, whatever its type: what a copy of Redis would give away */
export async function keyContent (redis: Redis | Cluster, key: string): Promise<string> {
  switch (await redis.type(key)) {
    case 'string': return (await redis.get(key)) ?? ''
    case 'hash': return JSON.stringify(await redis.hgetall(key))
    case 'list': return JSON.stringify(await redis.lrange(key, 0, -1))
    case 'set': return JSON.stringify(await redis.smembers(key))
    case 'zset': return JSON.stringify(await redis.zrange(key, 0, -1))
    case 'stream': return JSON.stringify(await redis.xrange(key, '-', '+'))
    default: return ''
  }
}

/** the app makes its Redis client from the configuration, as in production: a URL, a cluster or sentinels */
const ownClient = (options: HarnessOptions): boolean =>
  options.redisUrl !== undefined || options.env?.REDIS_CLUSTER_NODES !== undefined || options.env?.REDIS_SENTINELS !== undefined

export async function build (t: Test, options: HarnessOptions = {}): Promise<Harness> {
  const { sim, receiver } = await startPeers(t, options.sim)
  const redis = await testRedis(t)
  const prefix = `mo-test:${process.pid}:${++counter}:${Date.now()}:`
  t.teardown(() => deleteKeys(redis, prefix))
  const config = loadConfig(testEnv(sim, receiver.url, { ...(options.redisUrl ? { REDIS_URL: options.redisUrl } : {}), ...options.env }))
  // as in the App Dashboard: the dialog takes the service's redirect URI only, byte for byte
  sim.registerRedirectUri(config.redirectUri)
  const logs = new LogCapture()
  const routes: Harness['routes'] = []
  const app = await buildApp(config, {
    logStream: logs,
    onRoute: (route) => {
      for (const method of [route.method].flat()) if (method !== 'HEAD') routes.push({ method, url: route.url })
    },
    drainTimeoutMs: 500,
    ...(options.memory ? {} : ownClient(options) ? { redisKeyPrefix: prefix } : { redis, redisKeyPrefix: prefix }),
    ...options.deps
  })
  t.teardown(() => app.close())
  // every test doubles as a log-capture test: a secret in any log line fails it
  t.teardown(() => {
    const leaked = leakedSecrets(logs.text, knownSecrets({ config, sim }))
    if (leaked.length > 0) throw new Error(`secrets found in the logs: ${leaked.join(', ')}`)
  })
  return { app, config, sim, receiver, redis, prefix, logs, stores: app.stores, routes }
}

export const auth = { authorization: `Bearer ${API_KEY}` }

export async function createSession (h: Harness, body: Record<string, unknown>): Promise<Record<string, any>> {
  const res = await h.app.inject({ method: 'POST', url: '/v1/sessions', headers: auth, payload: body })
  if (res.statusCode !== 201) throw new Error(`session not created: ${res.statusCode} ${res.body}`)
  return res.json()
}

/** A browser: keeps the cookies the service sets, and sends them back; from `remoteAddress` if given. */
export class Browser {
  readonly cookies = new Map<string, string>()
  constructor (private readonly app: FastifyInstance, private readonly remoteAddress?: string) {}

  get cookieHeader (): string { return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ') }

  async get (pathOrUrl: string): Promise<LightMyRequestResponse> {
    const url = new URL(pathOrUrl, 'https://onboard.example.com')
    const res = await this.app.inject({
      method: 'GET',
      url: url.pathname + url.search,
      headers: this.cookies.size > 0 ? { cookie: this.cookieHeader } : {},
      ...(this.remoteAddress ? { remoteAddress: this.remoteAddress } : {})
    })
    for (const c of res.cookies) {
      this.cookies.set(c.name, c.value)
      browserSecrets.add(c.value.split('.')[0]!)
    }
    const state = typeof res.headers.location === 'string' ? new URL(res.headers.location).searchParams.get('state') : null
    if (state) browserSecrets.add(state)
    return res
  }
}

export const GRANTS: Record<FlowName, SimulatedGrant> = {
  business_portfolio: {
    kind: 'system_user',
    scopes: ['ads_management', 'pages_messaging', 'paid_marketing_messages', 'public_profile'],
    pageIds: ['1122334455', '99'],
    adAccountIds: ['5566778899'],
    businessId: '1234567890',
    userId: '61550000000001'
  },
  asset_based: {
    kind: 'user',
    scopes: ['ads_management', 'pages_messaging', 'marketing_messages_messenger'],
    pageIds: ['1122334455'],
    adAccountIds: ['300', '20'],
    userId: '10222270944537964'
  },
  partner_billing: {
    kind: 'system_user',
    scopes: ['ads_management', 'business_management', 'pages_messaging', 'paid_marketing_messages'],
    pageIds: ['1122334455'],
    adAccountIds: [],
    businessId: '1234567891',
    userId: '61550000000000'
  }
}

/** the JS SDK path: a session, then its code; the session's ID once its outcome is accepted (200), else null */
export async function submitCode (h: Pick<Harness, 'app' | 'sim'>, flow: FlowName = 'business_portfolio'): Promise<string | null> {
  const created = await h.app.inject({ method: 'POST', url: '/v1/sessions', headers: auth, payload: { flow } })
  if (created.statusCode !== 201) return null
  const { id } = created.json()
  const res = await h.app.inject({ method: 'POST', url: `/v1/sessions/${id}/code`, headers: auth, payload: { code: h.sim.issueCode(GRANTS[flow]) } })
  return res.statusCode === 200 ? id as string : null
}

/** session → login → the simulated dialog → callback, as the admin's browser goes through it */
export async function onboard (h: Harness, flow: FlowName, grant: SimulatedGrant | 'deny', body: Record<string, unknown> = {}) {
  const session = await createSession(h, { flow, ...body })
  const browser = new Browser(h.app)
  const login = await browser.get(session.login_url)
  if (login.statusCode !== 302) throw new Error(`login answered ${login.statusCode}: ${login.body}`)
  const dialog = login.headers.location as string
  const back = grant === 'deny' ? h.sim.deny(dialog) : h.sim.approve(dialog, grant)
  const callback = await browser.get(back)
  return { session, browser, dialog, callbackUrl: back, callback }
}
