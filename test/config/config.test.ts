// loadConfig as a whole: the test environment loads, every optional variable has its default, every required
// one missing or empty is named, and a bad configuration names every offending variable in one message,
// including the rules that span several variables, without ever printing a secret's value.
import t from 'tap'
import { loadConfig } from '../../src/config/config.js'
import { API_KEY, APP_SECRET, WEBHOOK_SECRET } from '../helper.js'
import { configError, env, HOOK, named, rejects } from './config-fixtures.js'

t.test('the test environment loads', async (t) => {
  const c = loadConfig(env())
  t.equal(c.publicBaseUrl, 'https://onboard.example.com')
  t.equal(c.redirectUri, 'https://onboard.example.com/oauth/callback')
  t.equal(c.meta.appSecret, APP_SECRET)
  t.same(c.partnerApiKeys, [API_KEY])
  t.same(c.webhook.secrets, [WEBHOOK_SECRET])
  t.equal(c.webhook.url, HOOK)
  t.same(c.webhook.retryScheduleMs, [50, 100, 100])
  t.same(c.meta.configIds, { business_portfolio: '111', asset_based: '222', partner_billing: '333' })
  t.equal(c.meta.partnerAdAccountId, '998877', 'act_ prefix stripped')
  t.same(c.returnUrlOrigins, ['https://app.example.com'])
})

t.test('defaults of every optional variable', async (t) => {
  const optional = [
    'PORT', 'HOST', 'META_GRAPH_VERSION', 'META_GRAPH_URL', 'META_API_URL', 'META_DIALOG_URL', 'META_TIMEOUT_MS',
    'REDIS_URL', 'WEBHOOK_TIMEOUT_MS', 'WEBHOOK_RETRY_SCHEDULE', 'RETURN_URL_ORIGINS', 'SESSION_TTL_SECONDS', 'LOG_LEVEL',
    'TRUST_PROXY', 'META_WEBHOOK_VERIFY_TOKEN', 'RATE_LIMIT_BROWSER_PER_MINUTE', 'RATE_LIMIT_API_PER_MINUTE',
    'BODY_LIMIT_BYTES', 'RETENTION_DAYS'
  ]
  const e = env()
  for (const name of optional) delete e[name]
  const c = loadConfig(e)
  t.equal(c.port, 3000)
  t.equal(c.host, '0.0.0.0')
  t.equal(c.meta.graphVersion, 'v26.0')
  t.equal(c.meta.graphUrl, 'https://graph.facebook.com')
  t.equal(c.meta.apiUrl, 'https://api.facebook.com')
  t.equal(c.meta.dialogUrl, 'https://www.facebook.com')
  t.equal(c.meta.timeoutMs, 10_000)
  t.equal(c.redis, undefined, 'no Redis configured: the in-process store')
  t.equal(c.webhook.timeoutMs, 10_000)
  t.same(c.webhook.retryScheduleMs, [5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000])
  t.same(c.returnUrlOrigins, [], 'no return_url accepted')
  t.equal(c.sessionTtlSeconds, 3600)
  t.equal(c.logLevel, 'info')
  t.equal(c.trustProxy, false)
  t.equal(c.meta.webhookVerifyToken, undefined, 'app webhooks off')
  t.equal(c.rateLimit.browserPerMinute, 120)
  t.equal(c.rateLimit.apiPerMinute, 1200)
  t.equal(c.bodyLimitBytes, 65_536)
  t.equal(c.retentionSeconds, 30 * 86_400)
})

t.test('an optional number set to the empty string is unset, as REDIS_URL and the config IDs are', async (t) => {
  // intFromEnv maps '' to its default, but the digit check before it refuses '' first
  const c = loadConfig(env({ PORT: '', SESSION_TTL_SECONDS: '', BODY_LIMIT_BYTES: '', RETENTION_DAYS: '' }))
  t.equal(c.port, 3000)
  t.equal(c.sessionTtlSeconds, 3600)
  t.equal(c.bodyLimitBytes, 65_536)
  t.equal(c.retentionSeconds, 30 * 86_400)
})

t.test('optional variables set', async (t) => {
  const c = loadConfig(env({
    PORT: '8080',
    HOST: '127.0.0.1',
    META_GRAPH_VERSION: 'v25.0',
    META_TIMEOUT_MS: '500',
    REDIS_URL: 'rediss://r.example.com:6380',
    SESSION_TTL_SECONDS: '60',
    LOG_LEVEL: 'warn',
    TRUST_PROXY: 'true',
    META_WEBHOOK_VERIFY_TOKEN: 'verify-me-0123456789',
    RATE_LIMIT_BROWSER_PER_MINUTE: '0',
    RATE_LIMIT_API_PER_MINUTE: '10',
    BODY_LIMIT_BYTES: '2048',
    RETENTION_DAYS: '2'
  }))
  t.equal(c.port, 8080)
  t.equal(c.host, '127.0.0.1')
  t.equal(c.meta.graphVersion, 'v25.0')
  t.equal(c.meta.timeoutMs, 500)
  t.same(c.redis, { kind: 'standalone', url: 'rediss://r.example.com:6380' })
  t.equal(c.sessionTtlSeconds, 60)
  t.equal(c.logLevel, 'warn')
  t.equal(c.trustProxy, true)
  t.equal(c.meta.webhookVerifyToken, 'verify-me-0123456789')
  t.equal(c.rateLimit.browserPerMinute, 0, '0 = no limit')
  t.equal(c.rateLimit.apiPerMinute, 10)
  t.equal(c.bodyLimitBytes, 2048)
  t.equal(c.retentionSeconds, 2 * 86_400)
  t.equal(loadConfig(env({ TRUST_PROXY: '2' })).trustProxy, 2, 'a hop count')
  t.equal(loadConfig(env({ TRUST_PROXY: '10.0.0.0/8,127.0.0.1' })).trustProxy, '10.0.0.0/8,127.0.0.1', 'proxy addresses')
  rejects(t, { TRUST_PROXY: 'maybe' }, 'TRUST_PROXY')
  rejects(t, { PORT: '70000' }, 'PORT')
  rejects(t, { PORT: 'http' }, 'PORT')
  rejects(t, { SESSION_TTL_SECONDS: '1.5' }, 'SESSION_TTL_SECONDS')
  rejects(t, { LOG_LEVEL: 'verbose' }, 'LOG_LEVEL')
  rejects(t, { REDIS_URL: 'http://127.0.0.1:6379' }, 'REDIS_URL')
})

t.test('each required variable missing is named', async (t) => {
  const required = ['PUBLIC_BASE_URL', 'META_APP_ID', 'META_APP_SECRET', 'WEBHOOK_URL', 'WEBHOOK_SECRET', 'PARTNER_API_KEYS', 'TOKEN_ENCRYPTION_KEY', 'COOKIE_SECRET']
  for (const name of required) {
    await t.test(name, async (t) => {
      const e = env()
      delete e[name]
      const err = configError(t, e)
      t.same(named(err), [name], `only ${name} is named`)
      t.match(err.message, new RegExp(`${name}: is required`))
    })
    await t.test(`${name} empty`, async (t) => {
      const err = configError(t, env({ [name]: '' }))
      t.same(named(err), [name])
    })
  }
})

t.test('several bad variables are all named in one message', async (t) => {
  const e = env({ META_APP_ID: 'abc', PORT: '-1', WEBHOOK_RETRY_SCHEDULE: '5x', RETURN_URL_ORIGINS: 'https://app.example.com/path' })
  delete e.META_APP_SECRET
  delete e.WEBHOOK_SECRET
  const err = configError(t, e)
  const expected = ['META_APP_ID', 'META_APP_SECRET', 'PORT', 'RETURN_URL_ORIGINS', 'WEBHOOK_RETRY_SCHEDULE', 'WEBHOOK_SECRET']
  t.same(named(err).sort(), expected)
  for (const name of expected) t.match(err.message, `  - ${name}: `, `the message names ${name}`)
  t.equal(err.message.split('\n').length, expected.length + 1, 'one line per variable under one heading')
})

t.test('the rules checked across variables are reported together with the others', async (t) => {
  // a missing secret and flow 3 without its ad account: both must be named at once
  const e = env({ PARTNER_AD_ACCOUNT_ID: undefined })
  delete e.META_APP_SECRET
  const err = configError(t, e)
  t.ok(named(err).includes('META_APP_SECRET'), 'META_APP_SECRET named')
  t.ok(named(err).includes('PARTNER_AD_ACCOUNT_ID'), `PARTNER_AD_ACCOUNT_ID named as well (${JSON.stringify(err.problems)})`)

  const none = env({ META_CONFIG_ID_BUSINESS_PORTFOLIO: undefined, META_CONFIG_ID_ASSET_BASED: undefined, META_CONFIG_ID_PARTNER_BILLING: undefined, COOKIE_SECRET: 'x' })
  const err2 = configError(t, none)
  t.ok(named(err2).includes('COOKIE_SECRET'))
  t.ok(named(err2).includes('META_CONFIG_ID_BUSINESS_PORTFOLIO'), `no flow enabled named as well (${JSON.stringify(err2.problems)})`)
})

t.test('secret values never appear in the message', async (t) => {
  const bad = {
    META_APP_SECRET: '   ',
    COOKIE_SECRET: 'tooshort!!',
    WEBHOOK_SECRET: 'whsec_c2VjcmV0LXNob3J0',
    TOKEN_ENCRYPTION_KEY: 'dG9rZW4ta2V5LXRvby1zaG9ydC0zMQ==',
    PARTNER_API_KEYS: 'partner-key-way-too-short-7f3a',
    META_WEBHOOK_VERIFY_TOKEN: 'short-verify'
  }
  const err = configError(t, env(bad))
  t.same(named(err).sort(), Object.keys(bad).sort())
  const text = err.message + JSON.stringify(err.problems) + String(err.stack)
  for (const [name, value] of Object.entries(bad)) {
    if (value.trim() === '') continue
    t.notOk(text.includes(value), `${name}'s value is not in the message`)
  }
  t.notOk(text.includes('c2VjcmV0LXNob3J0'), 'not even the base64 part of WEBHOOK_SECRET')

  // valid secrets beside an invalid variable are not printed either
  const err2 = configError(t, env({ PORT: 'x', WEBHOOK_SECRET: `${WEBHOOK_SECRET} not-a-secret-Q9Z` }))
  t.same(named(err2).sort(), ['PORT', 'WEBHOOK_SECRET'])
  for (const value of [APP_SECRET, API_KEY, WEBHOOK_SECRET, 'not-a-secret-Q9Z', 'cookie-secret-0123456789abcdefghijkl', Buffer.alloc(32, 7).toString('base64')]) {
    t.notOk(err2.message.includes(value), 'a configured secret is not in the message')
  }
})
