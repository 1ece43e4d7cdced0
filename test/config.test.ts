// loadConfig (SPEC §2): defaults, every required variable, every validation, and that a bad configuration
// names every offending variable without ever printing a secret, both as a function and as a real process.
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { createServer, connect } from 'node:net'
import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'
import t, { type Test } from 'tap'
import { ConfigError, loadConfig } from '../src/config/config.js'
import { API_KEY, APP_SECRET, testEnv, WEBHOOK_SECRET } from './helper.js'

const SIM = { url: 'http://127.0.0.1:9' }
const HOOK = 'https://partner.example.com/hooks/onboarding'
const env = (overrides: Record<string, string | undefined> = {}) => testEnv(SIM, HOOK, overrides)
const KEY_A = Buffer.alloc(32, 1).toString('base64')
const KEY_B = Buffer.alloc(32, 2).toString('base64')
const whsec = (fill: number, bytes = 24) => 'whsec_' + Buffer.alloc(bytes, fill).toString('base64')

/** the ConfigError loadConfig throws for this environment (fails the test when it does not throw) */
function configError (t: Test, e: NodeJS.ProcessEnv): ConfigError {
  try {
    loadConfig(e)
  } catch (err) {
    t.type(err, ConfigError)
    return err as ConfigError
  }
  t.fail('loadConfig accepted the environment')
  return new ConfigError([])
}

const named = (err: ConfigError): string[] => err.problems.flatMap((p) => p.variable.split(', '))

function rejects (t: Test, overrides: Record<string, string | undefined>, variable: string, message?: RegExp): ConfigError {
  const err = configError(t, env(overrides))
  t.ok(named(err).includes(variable), `${variable} is named (${JSON.stringify(err.problems)})`)
  t.match(err.message, variable)
  if (message) t.match(err.problems.find((p) => p.variable.split(', ').includes(variable))?.message, message)
  return err
}

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
  t.equal(c.redisUrl, undefined, 'no REDIS_URL: the in-process store')
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
  t.equal(c.redisUrl, 'rediss://r.example.com:6380')
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
  // a missing secret and flow 3 without its ad account: both must be named at once (SPEC §2)
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

t.test('flows', async (t) => {
  rejects(t, { META_CONFIG_ID_BUSINESS_PORTFOLIO: undefined, META_CONFIG_ID_ASSET_BASED: undefined, META_CONFIG_ID_PARTNER_BILLING: undefined }, 'META_CONFIG_ID_BUSINESS_PORTFOLIO', /at least one flow/)
  rejects(t, { META_CONFIG_ID_BUSINESS_PORTFOLIO: '', META_CONFIG_ID_ASSET_BASED: '', META_CONFIG_ID_PARTNER_BILLING: '' }, 'META_CONFIG_ID_ASSET_BASED')
  rejects(t, { PARTNER_AD_ACCOUNT_ID: undefined }, 'PARTNER_AD_ACCOUNT_ID', /META_CONFIG_ID_PARTNER_BILLING/)
  rejects(t, { PARTNER_AD_ACCOUNT_ID: '' }, 'PARTNER_AD_ACCOUNT_ID')
  rejects(t, { PARTNER_AD_ACCOUNT_ID: 'act_12x' }, 'PARTNER_AD_ACCOUNT_ID')
  rejects(t, { PARTNER_AD_ACCOUNT_ID: 'acct_12' }, 'PARTNER_AD_ACCOUNT_ID')
  rejects(t, { META_CONFIG_ID_ASSET_BASED: 'abc' }, 'META_CONFIG_ID_ASSET_BASED')
  rejects(t, { META_APP_ID: '12ab' }, 'META_APP_ID')

  const one = loadConfig(env({ META_CONFIG_ID_BUSINESS_PORTFOLIO: undefined, META_CONFIG_ID_PARTNER_BILLING: '', PARTNER_AD_ACCOUNT_ID: undefined }))
  t.same(one.meta.configIds, { asset_based: '222' }, 'one flow is enough; flow 3 off needs no ad account')
  t.equal(one.meta.partnerAdAccountId, undefined)
  t.equal(loadConfig(env({ PARTNER_AD_ACCOUNT_ID: '998877' })).meta.partnerAdAccountId, '998877', 'digits without prefix')
  t.equal(loadConfig(env({ PARTNER_AD_ACCOUNT_ID: 'act_42' })).meta.partnerAdAccountId, '42', 'act_ prefix stripped')
})

t.test('WEBHOOK_RETRY_SCHEDULE', async (t) => {
  const schedule = (v: string) => loadConfig(env({ WEBHOOK_RETRY_SCHEDULE: v })).webhook.retryScheduleMs
  t.same(schedule('5s,5m,30m,2h'), [5_000, 300_000, 1_800_000, 7_200_000])
  t.same(schedule('250ms, 1s ,1h'), [250, 1000, 3_600_000], 'spaces around entries')
  t.same(schedule('1.5s'), [1500])
  rejects(t, { WEBHOOK_RETRY_SCHEDULE: '5x' }, 'WEBHOOK_RETRY_SCHEDULE')
  rejects(t, { WEBHOOK_RETRY_SCHEDULE: '5s,5' }, 'WEBHOOK_RETRY_SCHEDULE', /units/)
  rejects(t, { WEBHOOK_RETRY_SCHEDULE: '5s,-5m' }, 'WEBHOOK_RETRY_SCHEDULE')
  rejects(t, { WEBHOOK_RETRY_SCHEDULE: '5d' }, 'WEBHOOK_RETRY_SCHEDULE')
  // an empty schedule would mean one attempt and no retry at all: refused, or the default, never silently []
  for (const value of ['', ',', ' ']) {
    let result: number[] | ConfigError
    try {
      result = schedule(value)
    } catch (err) {
      result = err as ConfigError
    }
    if (result instanceof ConfigError) t.ok(named(result).includes('WEBHOOK_RETRY_SCHEDULE'), `${JSON.stringify(value)} refused`)
    else t.same(result, [5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000], `${JSON.stringify(value)} is the default, not an empty schedule`)
  }
})

t.test('WEBHOOK_SECRET', async (t) => {
  const s1 = whsec(1)
  const s2 = whsec(2)
  t.same(loadConfig(env({ WEBHOOK_SECRET: `${s1} ${s2}` })).webhook.secrets, [s1, s2], 'separated by a space')
  t.same(loadConfig(env({ WEBHOOK_SECRET: `${s1},${s2}` })).webhook.secrets, [s1, s2], 'separated by a comma')
  t.same(loadConfig(env({ WEBHOOK_SECRET: ` ${s1} ,  ${s2} ` })).webhook.secrets, [s1, s2], 'both, with extra spaces')
  rejects(t, { WEBHOOK_SECRET: Buffer.alloc(24, 1).toString('base64') }, 'WEBHOOK_SECRET', /whsec_/)
  rejects(t, { WEBHOOK_SECRET: `${s1} ${Buffer.alloc(24, 2).toString('base64')}` }, 'WEBHOOK_SECRET', /whsec_/)
  rejects(t, { WEBHOOK_SECRET: 'whsec_' }, 'WEBHOOK_SECRET')
  rejects(t, { WEBHOOK_SECRET: ' , ' }, 'WEBHOOK_SECRET')
})

t.test('TOKEN_ENCRYPTION_KEY', async (t) => {
  const keys = loadConfig(env({ TOKEN_ENCRYPTION_KEY: `${KEY_A},${KEY_B}` })).tokenEncryptionKeys
  t.equal(keys.length, 2, 'two keys during a rotation')
  t.same(keys[0], Buffer.alloc(32, 1), 'the first encrypts')
  t.same(keys[1], Buffer.alloc(32, 2))
  rejects(t, { TOKEN_ENCRYPTION_KEY: Buffer.alloc(31, 1).toString('base64') }, 'TOKEN_ENCRYPTION_KEY', /32 bytes/)
  rejects(t, { TOKEN_ENCRYPTION_KEY: Buffer.alloc(33, 1).toString('base64') }, 'TOKEN_ENCRYPTION_KEY')
  rejects(t, { TOKEN_ENCRYPTION_KEY: `${KEY_A},${Buffer.alloc(31, 2).toString('base64')}` }, 'TOKEN_ENCRYPTION_KEY')
  rejects(t, { TOKEN_ENCRYPTION_KEY: 'a'.repeat(32) }, 'TOKEN_ENCRYPTION_KEY', /base64/)
})

t.test('PARTNER_API_KEYS and COOKIE_SECRET', async (t) => {
  const k1 = 'k'.repeat(32)
  const k2 = 'z'.repeat(40)
  t.same(loadConfig(env({ PARTNER_API_KEYS: `${k1},${k2}` })).partnerApiKeys, [k1, k2])
  rejects(t, { PARTNER_API_KEYS: 'k'.repeat(31) }, 'PARTNER_API_KEYS', /32/)
  rejects(t, { PARTNER_API_KEYS: `${k1},short` }, 'PARTNER_API_KEYS')
  t.equal(loadConfig(env({ COOKIE_SECRET: 'c'.repeat(32) })).cookieSecret, 'c'.repeat(32), '32 characters is enough')
  rejects(t, { COOKIE_SECRET: 'c'.repeat(31) }, 'COOKIE_SECRET', /32/)
})

t.test('META_WEBHOOK_VERIFY_TOKEN', async (t) => {
  t.equal(loadConfig(env({ META_WEBHOOK_VERIFY_TOKEN: '' })).meta.webhookVerifyToken, undefined, 'empty = app webhooks off')
  t.equal(loadConfig(env({ META_WEBHOOK_VERIFY_TOKEN: 'v'.repeat(16) })).meta.webhookVerifyToken, 'v'.repeat(16), '16 characters is enough')
  rejects(t, { META_WEBHOOK_VERIFY_TOKEN: 'v'.repeat(15) }, 'META_WEBHOOK_VERIFY_TOKEN', /16/)
  rejects(t, { META_WEBHOOK_VERIFY_TOKEN: 'v'.repeat(1025) }, 'META_WEBHOOK_VERIFY_TOKEN', /1024/)
})

t.test('RETURN_URL_ORIGINS', async (t) => {
  const origins = (v: string) => loadConfig(env({ RETURN_URL_ORIGINS: v })).returnUrlOrigins
  t.same(origins('https://app.example.com,http://localhost:4000'), ['https://app.example.com', 'http://localhost:4000'])
  t.same(origins('https://app.example.com/'), ['https://app.example.com'], 'a trailing slash is still an origin')
  t.same(origins(''), [])
  rejects(t, { RETURN_URL_ORIGINS: 'https://app.example.com/onboarding' }, 'RETURN_URL_ORIGINS', /origin/)
  rejects(t, { RETURN_URL_ORIGINS: 'https://app.example.com?x=1' }, 'RETURN_URL_ORIGINS')
  rejects(t, { RETURN_URL_ORIGINS: 'app.example.com' }, 'RETURN_URL_ORIGINS')
  rejects(t, { RETURN_URL_ORIGINS: 'ftp://app.example.com' }, 'RETURN_URL_ORIGINS')
  rejects(t, { RETURN_URL_ORIGINS: 'https://u:p@app.example.com' }, 'RETURN_URL_ORIGINS')
})

t.test('META_GRAPH_VERSION and the Meta origins', async (t) => {
  rejects(t, { META_GRAPH_VERSION: '26' }, 'META_GRAPH_VERSION', /v26\.0/)
  rejects(t, { META_GRAPH_VERSION: 'v26' }, 'META_GRAPH_VERSION')
  rejects(t, { META_GRAPH_VERSION: 'v26.0/' }, 'META_GRAPH_VERSION')
  rejects(t, { META_GRAPH_URL: 'graph.facebook.com' }, 'META_GRAPH_URL')
  const c = loadConfig(env({ META_GRAPH_URL: 'https://graph.example.com/', META_DIALOG_URL: 'https://dialog.example.com:8443/path' }))
  t.equal(c.meta.graphUrl, 'https://graph.example.com', 'an origin, no trailing slash')
  t.equal(c.meta.dialogUrl, 'https://dialog.example.com:8443', 'reduced to its origin')
})

t.test('PUBLIC_BASE_URL', async (t) => {
  const c = loadConfig(env({ PUBLIC_BASE_URL: 'https://onboard.example.com/' }))
  t.equal(c.publicBaseUrl, 'https://onboard.example.com', 'trailing slash removed')
  t.equal(c.redirectUri, 'https://onboard.example.com/oauth/callback')
  t.equal(c.secureCookies, true, 'https: secure cookies')
  const local = loadConfig(env({ PUBLIC_BASE_URL: 'http://localhost:3000' }))
  t.equal(local.publicBaseUrl, 'http://localhost:3000')
  t.equal(local.redirectUri, 'http://localhost:3000/oauth/callback')
  t.equal(local.secureCookies, false, 'http: no Secure cookies')
  const prefixed = loadConfig(env({ PUBLIC_BASE_URL: 'https://example.com/onboard/' }))
  t.equal(prefixed.redirectUri, 'https://example.com/onboard/oauth/callback', 'behind a path prefix')
  rejects(t, { PUBLIC_BASE_URL: 'onboard.example.com' }, 'PUBLIC_BASE_URL')
  // a query or fragment would end up in the middle of the redirect URI (https://x/?a=1/oauth/callback)
  rejects(t, { PUBLIC_BASE_URL: 'https://onboard.example.com/?a=1' }, 'PUBLIC_BASE_URL')
  rejects(t, { PUBLIC_BASE_URL: 'https://onboard.example.com/#top' }, 'PUBLIC_BASE_URL')
  rejects(t, { PUBLIC_BASE_URL: 'ftp://onboard.example.com' }, 'PUBLIC_BASE_URL')
  rejects(t, { PUBLIC_BASE_URL: 'https://u:p@onboard.example.com' }, 'PUBLIC_BASE_URL')
  rejects(t, { WEBHOOK_URL: 'not a url' }, 'WEBHOOK_URL')
})

async function freePort (): Promise<number> {
  const server = createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as AddressInfo
  await new Promise((resolve) => server.close(resolve))
  return port
}

async function accepts (port: number): Promise<boolean> {
  return await new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1')
    socket.once('connect', () => { socket.destroy(); resolve(true) })
    socket.once('error', () => resolve(false))
  })
}

t.test('start-up with a bad configuration: a real process names every variable and exits without listening', async (t) => {
  const root = fileURLToPath(new URL('..', import.meta.url))
  const port = await freePort()
  const cookieSecret = 'cookie-TOO-short-93xq'
  const apiKey = 'short-partner-key-71kw'
  // only what the process needs to run, and no configuration of this shell
  const childEnv: NodeJS.ProcessEnv = {}
  for (const [name, value] of Object.entries(process.env)) {
    if (!(name in env()) && !['PORT', 'HOST', 'REDIS_URL'].includes(name)) childEnv[name] = value
  }
  Object.assign(childEnv, env({
    META_APP_SECRET: undefined,
    WEBHOOK_SECRET: undefined,
    COOKIE_SECRET: cookieSecret,
    PARTNER_API_KEYS: apiKey,
    PORT: String(port),
    HOST: '127.0.0.1'
  }))
  delete childEnv.META_APP_SECRET
  delete childEnv.WEBHOOK_SECRET

  const started = Date.now()
  const child = spawn(process.execPath, [...process.execArgv, 'src/server.ts'], { cwd: root, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString('utf8') })
  child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString('utf8') })
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000)
  const [code, signal] = await once(child, 'exit') as [number | null, NodeJS.Signals | null]
  clearTimeout(timer)
  t.comment(`exited after ${Date.now() - started} ms`)

  t.equal(signal, null, 'exited on its own, not killed after the deadline')
  t.not(code, 0, 'exit code non-zero')
  t.not(code, null)
  for (const name of ['META_APP_SECRET', 'WEBHOOK_SECRET', 'COOKIE_SECRET', 'PARTNER_API_KEYS']) {
    t.match(stderr, name, `stderr names ${name}`)
  }
  t.match(stderr, /Invalid configuration/)
  for (const secret of [cookieSecret, apiKey, APP_SECRET, Buffer.alloc(32, 7).toString('base64')]) {
    t.notOk(stderr.includes(secret) || stdout.includes(secret), 'no secret value printed')
  }
  t.notMatch(stderr, /\n\s+at .+:\d+:\d+/, 'no stack trace')
  t.notMatch(stdout, /listening/i, 'never listened')
  t.equal(await accepts(port), false, 'nothing accepts connections on its port')
})
