// The sandbox: the service with embedded defaults (generated secrets, in-process store unless a Redis URL is
// given), a simulated Meta and a stand-in partner platform with a webhook inspector, all on this machine.
// It never calls the real Meta. main.ts runs it from the command line; the browser tests start it here.
import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { createServer } from 'node:net'
import type { FastifyInstance } from 'fastify'
import { buildApp } from '../app.js'
import { loadConfig, type Config } from '../config/config.js'
import { FLOW_LIST, FLOW_NAMES, needsBusinessAdAccount, type FlowName } from '../flows/flows.js'
import { MetaSimulator } from './meta-simulator.js'
import { LONG_LIVED_SECONDS } from './meta-simulator-store.js'
import type { DialogConfig } from './meta-simulator-login.js'
import { MisbehaviourSwitch } from './misbehaviour.js'
import { buildInspector, type TokenExpirySwitch } from './partner-inspector.js'

const SANDBOX_NOTICE = 'Sandbox: Meta is simulated on this machine; nothing here calls the real Meta.'

/** the Page webhook fields the sandbox's service subscribes each granted Page to: Messenger's, which pages_messaging allows */
const PAGE_FIELDS = 'messages,messaging_optins,messaging_postbacks'

/** a Flow 2 token "that expires soon": shorter than TOKEN_EXPIRY_NOTICE, long enough to read the notice first */
const SOON_SECONDS = 60

export interface SandboxOptions {
  /** the service's port; the simulated Meta listens on port + 1 and the partner stand-in on port + 2 (0: free ports) */
  port?: number
  redisUrl?: string
  logLevel?: string
  /** DELIVER_PAGE_TOKENS: each Page's token in onboarding.provisioned (the inspector shows it masked) */
  deliverPageTokens?: boolean
}

export interface Sandbox {
  /** the page to open */
  url: string
  config: Config
  meta: MetaSimulator
  service: FastifyInstance
  close: () => Promise<void>
}

/** a made-up configuration ID per flow, in the flows' order */
const CONFIG_IDS = Object.fromEntries(FLOW_LIST.map((flow, i) => [flow.name, String(900000000000001 + i)])) as Record<FlowName, string>

/** each configuration asks the dialog for what its flow needs, under the flow's title (the tests' Meta too) */
export function dialogConfigs (configIds: Record<FlowName, string>): Record<string, DialogConfig> {
  return Object.fromEntries(FLOW_LIST.map((flow) => [configIds[flow.name], {
    label: flow.words.title,
    kind: flow.tokenType,
    scopes: [...flow.requiredScopes],
    adAccounts: needsBusinessAdAccount(flow)
  }]))
}

async function freePort (): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}

/** how many times a sandbox on free ports is started again when its port was taken meanwhile */
const FREE_PORT_ATTEMPTS = 5

export async function startSandbox (options: SandboxOptions = {}): Promise<Sandbox> {
  if (process.env.NODE_ENV === 'production') {
    throw new Error('The sandbox simulates Meta and generates its own secrets: it refuses to run with NODE_ENV=production.')
  }
  if (options.port !== 0) return await startOn(options.port ?? 3000, options)
  // the redirect URI names the service's port, so it must be known before the service starts: a free port is
  // probed and given back, and another socket (an outgoing connection's ephemeral port) may take it meanwhile
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOn(await freePort(), options)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE' || attempt === FREE_PORT_ATTEMPTS) throw error
    }
  }
}

async function startOn (port: number, options: SandboxOptions): Promise<Sandbox> {
  const host = 'localhost'
  const appId = '100000000000001'
  const appSecret = randomBytes(16).toString('hex')
  const apiKey = `sandbox_${randomBytes(24).toString('hex')}`
  const webhookSecret = `whsec_${randomBytes(32).toString('base64')}`
  const verifyToken = randomBytes(16).toString('hex')

  const partnerAdAccountId = '777000000000001'
  const misbehaviour: MisbehaviourSwitch = new MisbehaviourSwitch(
    (...args) => meta.failNext(...args),
    (...args) => meta.throttle(...args),
    (...args) => { meta.setAdAccount(...args) },
    partnerAdAccountId
  )
  const meta = new MetaSimulator({
    appId,
    appSecret,
    host: '127.0.0.1',
    port: options.port === 0 ? 0 : port + 1,
    dialogConfigs: dialogConfigs(CONFIG_IDS),
    beforeApproval: misbehaviour.apply
  })
  await meta.start()
  let tokensExpireSoon = false
  const tokenExpiry: TokenExpirySwitch = {
    get soon () { return tokensExpireSoon },
    set: (soon) => {
      tokensExpireSoon = soon
      meta.setLongLivedLifetime(soon ? SOON_SECONDS : LONG_LIVED_SECONDS)
    }
  }

  // the partner stand-in listens first: its origin goes into the service's configuration
  const inspector = buildInspector({
    apiKey,
    webhookSecrets: [webhookSecret],
    enabledFlows: [...FLOW_NAMES],
    misbehaviour,
    notice: SANDBOX_NOTICE,
    // the buttons that make the simulated Meta call the service's app callbacks
    metaCallback: (kind, serviceUrl, subject) => kind === 'verify_subscription'
      ? meta.verifyWebhookSubscription(serviceUrl, verifyToken)
      : meta.sendAppCallback(kind, serviceUrl, subject),
    pageSubscriptions: () => meta.pageSubscriptions(),
    tokenExpiry
  })
  await inspector.app.listen({ port: options.port === 0 ? 0 : port + 2, host })
  const inspectorOrigin = `http://${host}:${(inspector.app.server.address() as { port: number }).port}`

  const config = loadConfig({
    PORT: String(port),
    HOST: host,
    PUBLIC_BASE_URL: `http://${host}:${port}`,
    META_APP_ID: appId,
    META_APP_SECRET: appSecret,
    ...Object.fromEntries(FLOW_LIST.map((flow) => [flow.configIdVariable, CONFIG_IDS[flow.name]])),
    PARTNER_AD_ACCOUNT_ID: partnerAdAccountId,
    META_GRAPH_URL: meta.url,
    META_API_URL: meta.url,
    META_DIALOG_URL: meta.url,
    WEBHOOK_URL: `${inspectorOrigin}/hooks`,
    WEBHOOK_SECRET: webhookSecret,
    WEBHOOK_RETRY_SCHEDULE: '1s,5s,30s',
    // short enough to watch a processing session finish
    ONBOARDING_RETRY_SCHEDULE: '15s,30s,1m,2m',
    PARTNER_API_KEYS: apiKey,
    TOKEN_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    COOKIE_SECRET: randomBytes(32).toString('hex'),
    RETURN_URL_ORIGINS: inspectorOrigin,
    META_WEBHOOK_VERIFY_TOKEN: verifyToken,
    // so that a person sees the Pages subscribed after an onboarding; READINESS_CHECKS keeps its default, on
    PAGE_SUBSCRIBED_FIELDS: PAGE_FIELDS,
    DELIVER_PAGE_TOKENS: options.deliverPageTokens === true ? 'true' : undefined,
    LOG_LEVEL: options.logLevel ?? 'warn',
    REDIS_URL: options.redisUrl
  })
  // as in the App Dashboard: the service's redirect URI is the app's one Valid OAuth Redirect URI
  meta.registerRedirectUri(config.redirectUri)
  const service = await buildApp(config, { pageNotice: SANDBOX_NOTICE, redisKeyPrefix: `mo-sandbox:${process.pid}:` })
  const close = async (): Promise<void> => {
    await Promise.allSettled([inspector.app.close(), service.close(), meta.close()])
  }
  try {
    await service.listen({ port, host })
  } catch (error) {
    await close()
    throw error
  }
  inspector.setService(`http://${host}:${port}`)

  return { url: inspectorOrigin, config, meta, service, close }
}
