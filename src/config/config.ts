// The one reader of process.env: the whole environment is parsed and validated here, once, at start-up, and
// every offending variable is named at once (never with its value). Everything else receives the typed Config.
import { z } from 'zod'
import { FLOW_LIST, type FlowConfigIdVariable, type FlowName } from '../flows/flows.js'
import type { TracingSettings } from '../observability/tracing-settings.js'
import { booleanFromEnv, csv, DIGITS, httpUrl, intFromEnv, noticeDuration, optionalString, origin, originUrl, retrySchedule } from './env-values.js'
import { redisProblems, redisTopology, redisVariables, type RedisTopology } from './redis-topology.js'
import { TRACING_ENV, tracingSettings } from './tracing-config.js'

const configId = optionalString.pipe(z.string().regex(DIGITS, 'must be digits').optional())
/** one variable per flow, named by its record: unset = the flow is disabled */
const flowConfigIds = Object.fromEntries(FLOW_LIST.map((flow) => [flow.configIdVariable, configId])) as Record<FlowConfigIdVariable, typeof configId>

const envSchema = z.object({
  PORT: intFromEnv(3000, 0, 65535),
  HOST: z.string().trim().min(1).default('0.0.0.0'),
  PUBLIC_BASE_URL: origin.transform((url, ctx) => {
    if (url.search || url.hash) {
      ctx.addIssue({ code: 'custom', message: 'must be a base URL without query or fragment' })
      return z.NEVER
    }
    return url.href.replace(/\/+$/, '')
  }),
  META_APP_ID: z.string({ error: 'is required' }).trim().regex(DIGITS, 'must be digits'),
  META_APP_SECRET: z.string({ error: 'is required' }).trim().min(1, 'is required'),
  META_GRAPH_VERSION: z.string().trim().regex(/^v\d+\.\d+$/, 'must look like v26.0').default('v26.0'),
  ...flowConfigIds,
  PARTNER_AD_ACCOUNT_ID: optionalString.pipe(
    z.string().regex(/^(act_)?\d+$/, 'must be digits, act_ prefix accepted').transform((v) => v.replace(/^act_/, '')).optional()
  ),
  META_GRAPH_URL: originUrl('Graph API origin').default('https://graph.facebook.com'),
  META_API_URL: originUrl('asset-connections origin').default('https://api.facebook.com'),
  META_DIALOG_URL: originUrl('login dialog origin').default('https://www.facebook.com'),
  META_TIMEOUT_MS: intFromEnv(10_000, 100, 120_000),
  ...redisVariables,
  WEBHOOK_URL: z.string({ error: 'is required' }).trim().transform((v, ctx) => {
    const url = httpUrl(v)
    if (!url) {
      ctx.addIssue({ code: 'custom', message: 'must be an http(s) URL' })
      return z.NEVER
    }
    return url.href
  }),
  WEBHOOK_SECRET: z.string({ error: 'is required' }).transform((v, ctx) => {
    const secrets = csv(v)
    if (secrets.length === 0) ctx.addIssue({ code: 'custom', message: 'is required' })
    for (const secret of secrets) {
      const key = secret.startsWith('whsec_') ? Buffer.from(secret.slice(6), 'base64') : Buffer.alloc(0)
      if (key.length < 16) {
        ctx.addIssue({ code: 'custom', message: 'each secret must be whsec_ followed by base64 of at least 16 bytes' })
        return z.NEVER
      }
    }
    return secrets
  }),
  WEBHOOK_TIMEOUT_MS: intFromEnv(10_000, 100, 120_000),
  WEBHOOK_RETRY_SCHEDULE: retrySchedule('5s,5m,30m,2h,5h,10h,10h'),
  PARTNER_API_KEYS: z.string({ error: 'is required' }).transform((v, ctx) => {
    const keys = csv(v)
    if (keys.length === 0 || keys.some((k) => k.length < 32)) {
      ctx.addIssue({ code: 'custom', message: 'must be one or more comma-separated keys of at least 32 characters each' })
      return z.NEVER
    }
    return keys
  }),
  TOKEN_ENCRYPTION_KEY: z.string({ error: 'is required' }).transform((v, ctx) => {
    const keys = csv(v).map((k) => Buffer.from(k, 'base64'))
    if (keys.length === 0 || keys.some((k) => k.length !== 32)) {
      ctx.addIssue({ code: 'custom', message: 'must be base64 of exactly 32 bytes (comma-separated during rotation)' })
      return z.NEVER
    }
    return keys
  }),
  COOKIE_SECRET: z.string({ error: 'is required' }).min(32, 'must be at least 32 characters'),
  RETURN_URL_ORIGINS: z.string().default('').transform((v, ctx) => {
    const origins: string[] = []
    for (const entry of csv(v)) {
      const url = httpUrl(entry)
      if (!url || url.origin !== entry.replace(/\/$/, '')) {
        ctx.addIssue({ code: 'custom', message: 'must be comma-separated origins such as https://app.example.com (scheme, host and port only)' })
        return z.NEVER
      }
      origins.push(url.origin)
    }
    return origins
  }),
  SESSION_TTL_SECONDS: intFromEnv(3600, 60, 7 * 24 * 3600),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  TRUST_PROXY: z.string().trim().default('false').transform((v, ctx): boolean | number | string => {
    if (v === 'true') return true
    if (v === 'false' || v === '') return false
    if (DIGITS.test(v)) return Number(v)
    if (/^[\d.:a-fA-F/,\s]+$/.test(v)) return v
    ctx.addIssue({ code: 'custom', message: 'must be true, false, a hop count or a list of proxy addresses' })
    return z.NEVER
  }),
  // a shared secret typed into Meta's dashboard: long enough not to be guessed through the handshake
  META_WEBHOOK_VERIFY_TOKEN: optionalString.pipe(z.string().min(16, 'must be at least 16 characters').max(1024, 'must be at most 1024 characters').optional()),
  RATE_LIMIT_BROWSER_PER_MINUTE: intFromEnv(120, 0, 1_000_000),
  RATE_LIMIT_API_PER_MINUTE: intFromEnv(1200, 0, 1_000_000),
  BODY_LIMIT_BYTES: intFromEnv(65_536, 1024, 10 * 1024 * 1024),
  RETENTION_DAYS: intFromEnv(30, 1, 3650),
  // the attempts that finish a processing session after its first, in the request
  ONBOARDING_RETRY_SCHEDULE: retrySchedule('30s,2m,10m,30m,1h,2h,4h'),
  // Page webhook fields are lower-case words (https://developers.facebook.com/docs/graph-api/webhooks/reference/page/)
  PAGE_SUBSCRIBED_FIELDS: z.string().default('').transform((v, ctx) => {
    const fields = [...new Set(csv(v))]
    if (fields.some((f) => !/^[a-z][a-z_]{0,63}$/.test(f))) {
      ctx.addIssue({ code: 'custom', message: 'must be comma-separated Page webhook fields such as messages,messaging_optins' })
      return z.NEVER
    }
    return fields
  }),
  DELIVER_PAGE_TOKENS: booleanFromEnv(false),
  READINESS_CHECKS: booleanFromEnv(true),
  // the regions of Meta's onboarding guide (Marketing Messages for Messenger, "Business eligibility"); Meta changes the list
  SUPPORTED_BUSINESS_COUNTRIES: z.string().default('AU,BR,CL,CO,HK,IN,ID,IL,MY,MX,NZ,PE,PH,SA,SG,TW,TH,AE,US,VN').transform((v, ctx) => {
    const codes = csv(v).map((c) => c.toUpperCase())
    if (codes.some((c) => !/^[A-Z]{2}$/.test(c))) {
      ctx.addIssue({ code: 'custom', message: 'must be comma-separated ISO 3166 alpha-2 country codes such as US,BR' })
      return z.NEVER
    }
    return [...new Set(codes)]
  }),
  TOKEN_EXPIRY_NOTICE: noticeDuration('7d'),
  ...TRACING_ENV
})

/** every variable the service reads: README and .env.example are checked against this list */
export const CONFIG_VARIABLES = Object.keys(envSchema.shape)

export interface Config {
  port: number
  host: string
  publicBaseUrl: string
  /** PUBLIC_BASE_URL + /oauth/callback, byte-identical in the dialog URL and the code exchange */
  redirectUri: string
  secureCookies: boolean
  meta: {
    appId: string
    appSecret: string
    graphVersion: string
    graphUrl: string
    apiUrl: string
    dialogUrl: string
    timeoutMs: number
    configIds: Partial<Record<FlowName, string>>
    partnerAdAccountId: string | undefined
    webhookVerifyToken: string | undefined
  }
  /** the Redis of the stores and queues; undefined = the in-process store */
  redis: RedisTopology | undefined
  webhook: { url: string; secrets: string[]; timeoutMs: number; retryScheduleMs: number[] }
  partnerApiKeys: string[]
  tokenEncryptionKeys: Buffer[]
  cookieSecret: string
  returnUrlOrigins: string[]
  sessionTtlSeconds: number
  /** delays between the attempts to finish a processing session */
  onboardingRetryScheduleMs: number[]
  logLevel: string
  trustProxy: boolean | number | string
  rateLimit: { browserPerMinute: number; apiPerMinute: number }
  bodyLimitBytes: number
  retentionSeconds: number
  /** what follows a completed onboarding (README, "Ready to send") */
  provisioning: {
    /** Page webhook fields the app is subscribed to on every granted Page; empty = no subscription */
    subscribedFields: string[]
    deliverPageTokens: boolean
    readinessChecks: boolean
    supportedCountries: string[]
  }
  /** how long before a flow 2 token expires the partner is told; 0 = never */
  tokenExpiryNoticeMs: number
  /** OpenTelemetry traces (tracing-config.ts); null = no endpoint, nothing traced */
  tracing: TracingSettings | null
}

/** whether there is anything to provision: otherwise no `onboarding.provisioned` event and `provisioning` stays null */
export const provisioningEnabled = (config: Pick<Config, 'provisioning'>): boolean =>
  config.provisioning.subscribedFields.length > 0 || config.provisioning.deliverPageTokens || config.provisioning.readinessChecks

export class ConfigError extends Error {
  constructor (readonly problems: Array<{ variable: string; message: string }>) {
    super('Invalid configuration:\n' + problems.map((p) => `  - ${p.variable}: ${p.message}`).join('\n'))
    this.name = 'ConfigError'
  }
}

/** Parses the environment; throws a ConfigError naming every offending variable (never its value). */
export function loadConfig (env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(env)
  const problems: Array<{ variable: string; message: string }> = []
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const variable = String(issue.path[0] ?? 'environment')
      // zod's own messages for a missing value mention the received type; say it plainly instead
      const message = issue.code === 'invalid_type' && env[variable] === undefined ? 'is required' : issue.message
      if (!problems.some((p) => p.variable === variable)) problems.push({ variable, message })
    }
  }
  // checks across variables run on the raw values, so one message names every problem at once
  const set = (name: string): boolean => (env[name] ?? '').trim() !== ''
  if (!FLOW_LIST.some((flow) => set(flow.configIdVariable))) {
    problems.push({ variable: FLOW_LIST.map((flow) => flow.configIdVariable).join(', '), message: 'at least one flow must be enabled' })
  }
  // a flow that bills the partner connects PARTNER_AD_ACCOUNT_ID to the business after the login
  const partnerBilled = FLOW_LIST.filter((flow) => flow.billing === 'partner' && set(flow.configIdVariable))
  if (partnerBilled.length > 0 && !set('PARTNER_AD_ACCOUNT_ID')) {
    problems.push({ variable: 'PARTNER_AD_ACCOUNT_ID', message: `is required when ${partnerBilled.map((flow) => flow.configIdVariable).join(' or ')} is set` })
  }
  for (const problem of redisProblems(set)) problems.push(problem)
  if (!parsed.success || problems.length > 0) throw new ConfigError(problems)
  const e = parsed.data
  const configIds: Partial<Record<FlowName, string>> = {}
  for (const flow of FLOW_LIST) {
    const id = e[flow.configIdVariable]
    if (id !== undefined) configIds[flow.name] = id
  }

  return {
    port: e.PORT,
    host: e.HOST,
    publicBaseUrl: e.PUBLIC_BASE_URL,
    redirectUri: `${e.PUBLIC_BASE_URL}/oauth/callback`,
    secureCookies: e.PUBLIC_BASE_URL.startsWith('https:'),
    meta: {
      appId: e.META_APP_ID,
      appSecret: e.META_APP_SECRET,
      graphVersion: e.META_GRAPH_VERSION,
      graphUrl: e.META_GRAPH_URL,
      apiUrl: e.META_API_URL,
      dialogUrl: e.META_DIALOG_URL,
      timeoutMs: e.META_TIMEOUT_MS,
      configIds,
      partnerAdAccountId: e.PARTNER_AD_ACCOUNT_ID,
      webhookVerifyToken: e.META_WEBHOOK_VERIFY_TOKEN
    },
    redis: redisTopology(e),
    webhook: {
      url: e.WEBHOOK_URL,
      secrets: e.WEBHOOK_SECRET,
      timeoutMs: e.WEBHOOK_TIMEOUT_MS,
      retryScheduleMs: e.WEBHOOK_RETRY_SCHEDULE
    },
    partnerApiKeys: e.PARTNER_API_KEYS,
    tokenEncryptionKeys: e.TOKEN_ENCRYPTION_KEY,
    cookieSecret: e.COOKIE_SECRET,
    returnUrlOrigins: e.RETURN_URL_ORIGINS,
    sessionTtlSeconds: e.SESSION_TTL_SECONDS,
    onboardingRetryScheduleMs: e.ONBOARDING_RETRY_SCHEDULE,
    logLevel: e.LOG_LEVEL,
    trustProxy: e.TRUST_PROXY,
    rateLimit: { browserPerMinute: e.RATE_LIMIT_BROWSER_PER_MINUTE, apiPerMinute: e.RATE_LIMIT_API_PER_MINUTE },
    bodyLimitBytes: e.BODY_LIMIT_BYTES,
    retentionSeconds: e.RETENTION_DAYS * 86_400,
    provisioning: {
      subscribedFields: e.PAGE_SUBSCRIBED_FIELDS,
      deliverPageTokens: e.DELIVER_PAGE_TOKENS,
      readinessChecks: e.READINESS_CHECKS,
      supportedCountries: e.SUPPORTED_BUSINESS_COUNTRIES
    },
    tokenExpiryNoticeMs: e.TOKEN_EXPIRY_NOTICE,
    tracing: tracingSettings(e)
  }
}

export const flowEnabled = (config: Pick<Config, 'meta'>, flow: FlowName): boolean => config.meta.configIds[flow] !== undefined
