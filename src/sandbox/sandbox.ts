// `npm run sandbox`: the service with embedded defaults (generated secrets, in-process store unless REDIS_URL
// is set), a simulated Meta and a stand-in partner platform with a webhook inspector, all on this machine.
// It never calls the real Meta, and refuses to run in production.
import { randomBytes } from 'node:crypto'
import { buildApp } from '../app.js'
import { loadConfig } from '../config.js'
import { FLOW_NAMES } from '../onboarding/flows.js'
import { MetaSimulator } from './meta-simulator.js'
import { buildInspector } from './partner-inspector.js'

if (process.env.NODE_ENV === 'production') {
  process.stderr.write('The sandbox simulates Meta and generates its own secrets: it refuses to run with NODE_ENV=production.\n')
  process.exit(1)
}

const port = Number(process.env.PORT ?? 3000)
const host = 'localhost'
const appId = '100000000000001'
const appSecret = randomBytes(16).toString('hex')
const apiKey = `sandbox_${randomBytes(24).toString('hex')}`
const configIds = { business_portfolio: '900000000000001', asset_based: '900000000000002', partner_billing: '900000000000003' }

const meta = new MetaSimulator({
  appId,
  appSecret,
  port: port + 1,
  host: '127.0.0.1',
  dialogGrants: {
    [configIds.business_portfolio]: { kind: 'system_user', scopes: ['ads_management', 'pages_messaging', 'paid_marketing_messages'], pageIds: ['102345678901234'], adAccountIds: ['1234567890123456'], businessId: '880000000000001' },
    [configIds.asset_based]: { kind: 'user', scopes: ['ads_management', 'pages_messaging', 'marketing_messages_messenger'], pageIds: ['102345678901234'], adAccountIds: ['1234567890123456'] },
    [configIds.partner_billing]: { kind: 'system_user', scopes: ['ads_management', 'business_management', 'pages_messaging', 'paid_marketing_messages'], pageIds: ['102345678901234'], adAccountIds: [], businessId: '880000000000003' }
  }
})
await meta.start()

const webhookSecret = `whsec_${randomBytes(32).toString('base64')}`
const inspectorOrigin = `http://${host}:${port + 2}`
const config = loadConfig({
  PORT: String(port),
  HOST: '127.0.0.1',
  PUBLIC_BASE_URL: `http://${host}:${port}`,
  META_APP_ID: appId,
  META_APP_SECRET: appSecret,
  META_CONFIG_ID_BUSINESS_PORTFOLIO: configIds.business_portfolio,
  META_CONFIG_ID_ASSET_BASED: configIds.asset_based,
  META_CONFIG_ID_PARTNER_BILLING: configIds.partner_billing,
  PARTNER_AD_ACCOUNT_ID: '777000000000001',
  META_GRAPH_URL: meta.url,
  META_API_URL: meta.url,
  META_DIALOG_URL: meta.url,
  WEBHOOK_URL: `${inspectorOrigin}/hooks`,
  WEBHOOK_SECRET: webhookSecret,
  WEBHOOK_RETRY_SCHEDULE: '1s,5s,30s',
  PARTNER_API_KEYS: apiKey,
  TOKEN_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
  COOKIE_SECRET: randomBytes(32).toString('hex'),
  RETURN_URL_ORIGINS: inspectorOrigin,
  LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
  REDIS_URL: process.env.REDIS_URL
})

const service = await buildApp(config)
await service.listen({ port, host })
const inspector = buildInspector({ serviceUrl: `http://127.0.0.1:${port}`, apiKey, webhookSecrets: [webhookSecret], enabledFlows: [...FLOW_NAMES] })
await inspector.app.listen({ port: port + 2, host })

process.stdout.write(`\nmessenger-onboarding sandbox (Meta is simulated; nothing calls the real Meta)\n\n  Open ${inspectorOrigin}\n\n` +
  `  service ${config.publicBaseUrl} · simulated Meta ${meta.url} · store: ${config.redisUrl ? 'Redis' : 'in-process'}\n  Ctrl-C to stop.\n`)

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, async () => {
    await Promise.allSettled([inspector.app.close(), service.close(), meta.close()])
    process.exit(0)
  })
}
