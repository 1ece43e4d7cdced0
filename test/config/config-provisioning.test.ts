// The variables of what follows a completed onboarding: Page subscription, Page tokens, readiness checks, the
// served regions and the expiry notice; and when there is anything to provision at all.
import t from 'tap'
import { loadConfig, provisioningEnabled } from '../../src/config/config.js'
import { env, rejects } from './config-fixtures.js'

t.test('defaults: readiness checks on, no subscription, no Page tokens, Meta\'s 20 regions, notices 7 days before', async (t) => {
  // the fixtures turn the checks off, as the test harness does: unset here, as a deployment leaves it
  const config = loadConfig(env({ READINESS_CHECKS: undefined }))
  t.strictSame(config.provisioning, {
    subscribedFields: [],
    deliverPageTokens: false,
    readinessChecks: true,
    supportedCountries: ['AU', 'BR', 'CL', 'CO', 'HK', 'IN', 'ID', 'IL', 'MY', 'MX', 'NZ', 'PE', 'PH', 'SA', 'SG', 'TW', 'TH', 'AE', 'US', 'VN']
  })
  t.equal(config.tokenExpiryNoticeMs, 7 * 86_400_000)
  t.equal(provisioningEnabled(config), true, 'the readiness checks alone are something to provision')
})

t.test('PAGE_SUBSCRIBED_FIELDS', async (t) => {
  const fields = (v: string) => loadConfig(env({ PAGE_SUBSCRIBED_FIELDS: v })).provisioning.subscribedFields
  t.strictSame(fields('messages, messaging_optins ,messages'), ['messages', 'messaging_optins'], 'trimmed, each once')
  t.strictSame(fields(''), [], 'empty = no subscription')
  rejects(t, { PAGE_SUBSCRIBED_FIELDS: 'messages,Feed' }, 'PAGE_SUBSCRIBED_FIELDS', /Page webhook fields/)
  rejects(t, { PAGE_SUBSCRIBED_FIELDS: 'messages;feed' }, 'PAGE_SUBSCRIBED_FIELDS')
})

t.test('DELIVER_PAGE_TOKENS and READINESS_CHECKS take true or false', async (t) => {
  t.equal(loadConfig(env({ DELIVER_PAGE_TOKENS: 'true' })).provisioning.deliverPageTokens, true)
  t.equal(loadConfig(env({ READINESS_CHECKS: 'false' })).provisioning.readinessChecks, false)
  t.equal(loadConfig(env({ READINESS_CHECKS: '0' })).provisioning.readinessChecks, false)
  rejects(t, { DELIVER_PAGE_TOKENS: 'yes' }, 'DELIVER_PAGE_TOKENS', /true or false/)
  rejects(t, { READINESS_CHECKS: 'off' }, 'READINESS_CHECKS', /true or false/)
})

t.test('nothing to provision: no fields, no Page tokens, checks off', async (t) => {
  t.equal(provisioningEnabled(loadConfig(env({ READINESS_CHECKS: 'false' }))), false)
  t.equal(provisioningEnabled(loadConfig(env({ READINESS_CHECKS: 'false', DELIVER_PAGE_TOKENS: 'true' }))), true)
  t.equal(provisioningEnabled(loadConfig(env({ READINESS_CHECKS: 'false', PAGE_SUBSCRIBED_FIELDS: 'messages' }))), true)
})

t.test('SUPPORTED_BUSINESS_COUNTRIES', async (t) => {
  t.strictSame(loadConfig(env({ SUPPORTED_BUSINESS_COUNTRIES: 'br, mx,BR' })).provisioning.supportedCountries, ['BR', 'MX'])
  rejects(t, { SUPPORTED_BUSINESS_COUNTRIES: 'BRA' }, 'SUPPORTED_BUSINESS_COUNTRIES', /ISO 3166/)
  rejects(t, { SUPPORTED_BUSINESS_COUNTRIES: 'U1' }, 'SUPPORTED_BUSINESS_COUNTRIES')
})

t.test('TOKEN_EXPIRY_NOTICE', async (t) => {
  const notice = (v: string) => loadConfig(env({ TOKEN_EXPIRY_NOTICE: v })).tokenExpiryNoticeMs
  t.equal(notice('3d'), 3 * 86_400_000)
  t.equal(notice('36h'), 36 * 3_600_000)
  t.equal(notice('90s'), 90_000)
  t.equal(notice('0'), 0, '0 = no notices')
  rejects(t, { TOKEN_EXPIRY_NOTICE: '7' }, 'TOKEN_EXPIRY_NOTICE', /units/)
  rejects(t, { TOKEN_EXPIRY_NOTICE: '400d' }, 'TOKEN_EXPIRY_NOTICE', /at most a year/)
  rejects(t, { TOKEN_EXPIRY_NOTICE: '-1d' }, 'TOKEN_EXPIRY_NOTICE')
  // days are for this variable only: the retry schedules stay in ms, s, m, h
  rejects(t, { ONBOARDING_RETRY_SCHEDULE: '1d' }, 'ONBOARDING_RETRY_SCHEDULE')
})
