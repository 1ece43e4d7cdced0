// How loadConfig reads and checks each variable that has rules of its own: the flows and their configuration
// IDs, the retry schedule, the webhook secrets, the token encryption keys, API keys and the cookie secret, the
// Meta webhook verify token, the return_url origins, the Graph version and Meta origins, and PUBLIC_BASE_URL.
import t from 'tap'
import { ConfigError, loadConfig } from '../../src/config/config.js'
import { env, named, rejects } from './config-fixtures.js'

const KEY_A = Buffer.alloc(32, 1).toString('base64')
const KEY_B = Buffer.alloc(32, 2).toString('base64')
const whsec = (fill: number, bytes = 24) => 'whsec_' + Buffer.alloc(bytes, fill).toString('base64')

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
