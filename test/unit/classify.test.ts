// The pure decisions: how IDs are normalised, whether a token fits its flow (SPEC §4, in SPEC's order), and
// when a webhook is retried (SPEC §5: never earlier than the schedule or Retry-After).
import t from 'tap'
import type { TokenInfo } from '../../src/meta/meta-client.js'
import { checkAssets, checkBusiness, checkPermissions, checkTokenKind, normalizeIds } from '../../src/onboarding/classify.js'
import { FLOWS, FLOW_NAMES, type FlowName } from '../../src/flows/flows.js'
import { OnboardingFailure } from '../../src/onboarding/onboarding-failure.js'
import { InProcessDeliveryQueue } from '../../src/webhooks/delivery-queue.js'
import { nextDelay } from '../../src/webhooks/deliverer.js'
import { parseRetryAfter } from '../../src/webhooks/webhook-sender.js'

const REQUIRED: Record<FlowName, string[]> = {
  business_portfolio: ['ads_management', 'pages_messaging', 'paid_marketing_messages'],
  asset_based: ['ads_management', 'pages_messaging', 'marketing_messages_messenger'],
  partner_billing: ['ads_management', 'pages_messaging', 'business_management', 'paid_marketing_messages']
}

const token = (over: Partial<TokenInfo> = {}): TokenInfo => ({
  isValid: true, appId: '1234567890123', type: 'SYSTEM_USER', expiresAt: 0, scopes: [], targetIds: new Map(), ...over
})

/** the failure `fn` throws, or undefined when it does not throw */
function failure (fn: () => void): OnboardingFailure | undefined {
  try {
    fn()
  } catch (err) {
    if (err instanceof OnboardingFailure) return err
    throw err
  }
  return undefined
}

t.test('normalizeIds', async (t) => {
  t.same(normalizeIds(['act_5566778899']), ['5566778899'], 'act_ prefix removed')
  t.same(normalizeIds(['5566778899'], 'act_'), ['act_5566778899'], 'prefix added')
  t.same(normalizeIds(['act_7', '7', 'act_8'], 'act_'), ['act_7', 'act_8'], 'with and without prefix, one entry each')
  t.same(normalizeIds(['3', '1', '3', '2', '1']), ['1', '2', '3'], 'duplicates dropped')
  t.same(normalizeIds(['10', '9', '100', '99']), ['9', '10', '99', '100'], 'numeric order, not lexicographic')
  t.same(normalizeIds(['1122334455', '99']), ['99', '1122334455'])
  t.same(normalizeIds(['007', '7', '0010']), ['7', '10'], 'leading zeros removed, so 007 and 7 are one')
  t.same(normalizeIds(['0', '000']), ['0'], 'zero stays zero')
  t.same(normalizeIds(['act_0042'], 'act_'), ['act_42'])
  t.same(normalizeIds(['12', 'abc', '', 'act_', '1.5', '-3', ' 4', '5 ', '1e3', 'act_act_6', 'ACT_7', '٣', '12a', '0x10']), ['12'], 'anything that is not an ID is dropped')
  t.same(normalizeIds(['1'.repeat(31), '2'.repeat(30)]), ['2'.repeat(30)], 'at most 30 digits')

  // beyond 2^53 a Number would round them together or misorder them
  const big = ['9007199254740993', '9007199254740992', '9007199254740994', '12345678901234567890', '9007199254740993']
  t.same(normalizeIds(big), ['9007199254740992', '9007199254740993', '9007199254740994', '12345678901234567890'], 'bigints kept apart and in order')
  t.same(normalizeIds(['100000000000000000001', '100000000000000000000']), ['100000000000000000000', '100000000000000000001'])

  t.same(normalizeIds([]), [])
  t.same(normalizeIds(new Set(['2', '1'])), ['1', '2'], 'any iterable')
  const input = ['2', '1']
  normalizeIds(input)
  t.same(input, ['2', '1'], 'the input is not sorted in place')
})

t.test('checkTokenKind', async (t) => {
  for (const name of ['business_portfolio', 'partner_billing'] as const) {
    const flow = FLOWS[name]
    t.equal(failure(() => checkTokenKind(flow, token({ expiresAt: 0, scopes: REQUIRED[name] }))), undefined, `${name}: a never-expiring token fits`)
    t.equal(failure(() => checkTokenKind(flow, token({ expiresAt: 0, type: 'USER' }))), undefined, `${name}: type USER is not trusted, a token that never expires fits`)
    const expiring = failure(() => checkTokenKind(flow, token({ expiresAt: 1_790_000_000, type: 'SYSTEM_USER' })))
    t.equal(expiring?.code, 'flow_mismatch', `${name}: an expiring token is a user token, whatever its type`)
    t.match(expiring?.message, name)
  }

  const flow2 = FLOWS.asset_based
  t.equal(failure(() => checkTokenKind(flow2, token({ type: 'USER', expiresAt: 1_790_000_000, scopes: REQUIRED.asset_based }))), undefined, 'asset_based: an expiring user token fits')
  t.equal(failure(() => checkTokenKind(flow2, token({ type: 'USER', expiresAt: 0 })))?.code, 'flow_mismatch', 'asset_based: a token that never expires is no user token')
  t.equal(failure(() => checkTokenKind(flow2, token({ type: 'SYSTEM_USER', expiresAt: 0 })))?.code, 'flow_mismatch')
  const paid = failure(() => checkTokenKind(flow2, token({ type: 'USER', expiresAt: 1_790_000_000, scopes: [...REQUIRED.asset_based, 'paid_marketing_messages'] })))
  t.equal(paid?.code, 'flow_mismatch', 'asset_based: paid_marketing_messages proves another flow')
  t.match(paid?.message, 'paid_marketing_messages')
  t.equal(failure(() => checkTokenKind(flow2, token({ expiresAt: 1_790_000_000, scopes: ['paid_marketing_messages'] })))?.code, 'flow_mismatch', 'even without the required scopes: flow_mismatch comes first')
})

t.test('checkBusiness', async (t) => {
  for (const name of ['business_portfolio', 'partner_billing'] as const) {
    t.equal(failure(() => checkBusiness(FLOWS[name], '1234567890')), undefined, `${name}: a business`)
    t.equal(failure(() => checkBusiness(FLOWS[name], null))?.code, 'flow_mismatch', `${name}: no client_business_id is not a business token`)
  }
})

t.test('checkPermissions', async (t) => {
  for (const name of FLOW_NAMES) {
    const flow = FLOWS[name]
    t.equal(failure(() => checkPermissions(flow, REQUIRED[name])), undefined, `${name}: exactly the required scopes`)
    t.equal(failure(() => checkPermissions(flow, ['public_profile', ...[...REQUIRED[name]].reverse(), 'email'])), undefined, `${name}: more, in any order`)
    for (const dropped of REQUIRED[name]) {
      const f = failure(() => checkPermissions(flow, REQUIRED[name].filter((s) => s !== dropped)))
      t.equal(f?.code, 'missing_permissions', `${name} without ${dropped}`)
      t.same(f?.details.missing_scopes, [dropped])
      t.same(f?.toError().missing_scopes, [dropped], 'in the error of the webhook and the session')
    }
    const none = failure(() => checkPermissions(flow, []))
    t.same(none?.details.missing_scopes, [...REQUIRED[name]].sort(), `${name}: all of them missing, sorted`)
    const upper = failure(() => checkPermissions(flow, REQUIRED[name].map((s) => s.toUpperCase())))
    t.equal(upper?.code, 'missing_permissions', 'scope names are compared exactly')
  }
  // partner_billing lists its scopes out of alphabetical order: the list is still sorted
  const f = failure(() => checkPermissions(FLOWS.partner_billing, ['ads_management']))
  t.same(f?.details.missing_scopes, ['business_management', 'pages_messaging', 'paid_marketing_messages'])
  t.same(failure(() => checkPermissions(FLOWS.asset_based, ['paid_marketing_messages']))?.details.missing_scopes,
    ['ads_management', 'marketing_messages_messenger', 'pages_messaging'])
})

t.test('checkAssets', async (t) => {
  for (const name of ['business_portfolio', 'asset_based'] as const) {
    t.equal(failure(() => checkAssets(FLOWS[name], ['1'], ['2'])), undefined, `${name}: a Page and an ad account`)
    t.equal(failure(() => checkAssets(FLOWS[name], [], ['2']))?.code, 'missing_assets', `${name}: no Page`)
    t.equal(failure(() => checkAssets(FLOWS[name], ['1'], []))?.code, 'missing_assets', `${name}: no ad account`)
    t.equal(failure(() => checkAssets(FLOWS[name], [], []))?.code, 'missing_assets')
  }
  t.equal(failure(() => checkAssets(FLOWS.partner_billing, ['1'], [])), undefined, 'partner_billing: the partner bills, no ad account needed')
  t.equal(failure(() => checkAssets(FLOWS.partner_billing, [], ['2']))?.code, 'missing_assets', 'partner_billing: still a Page')
  t.match(failure(() => checkAssets(FLOWS.business_portfolio, [], []))?.message, /Page/, 'the Page is named first')
})

t.test('parseRetryAfter', async (t) => {
  const now = Date.parse('2026-11-24T12:00:00.000Z')
  t.equal(parseRetryAfter('120', now), 120_000, 'seconds')
  t.equal(parseRetryAfter('0', now), 0)
  t.equal(parseRetryAfter(' 7 ', now), 7000, 'with spaces')
  t.equal(parseRetryAfter(['9', '30'], now), 9000, 'the first of several headers')
  t.equal(parseRetryAfter(new Date(now + 90_000).toUTCString(), now), 90_000, 'an HTTP date')
  t.equal(parseRetryAfter('Tue, 24 Nov 2026 12:05:00 GMT', now), 300_000)
  t.equal(parseRetryAfter('Tue, 24 Nov 2026 11:00:00 GMT', now), 0, 'a date in the past: now')
  for (const junk of ['soon', 'in a minute', '', '   ', 'NaN']) t.equal(parseRetryAfter(junk, now), undefined, `junk ${JSON.stringify(junk)}`)
  t.equal(parseRetryAfter(undefined, now), undefined)
  t.equal(parseRetryAfter([], now), undefined)
  for (const junk of ['-5', '1.5', '5s', '+3']) {
    const ms = parseRetryAfter(junk, now)
    t.ok(ms === undefined || ms === 0, `${JSON.stringify(junk)} never delays (${ms})`)
  }
})

t.test('nextDelay', async (t) => {
  t.equal(nextDelay(5000, 0, () => 0), 5000, 'no jitter: the schedule')
  t.equal(nextDelay(5000, undefined, () => 0), 5000)
  t.equal(nextDelay(5000, 0, () => 1), 5500, 'at most 10% later')
  t.equal(nextDelay(5000, 0, () => 0.5), 5250)
  t.equal(nextDelay(5000, 60_000, () => 0), 60_000, 'a longer Retry-After wins')
  t.equal(nextDelay(5000, 60_000, () => 1), 66_000)
  t.equal(nextDelay(5000, 1000, () => 0), 5000, 'a shorter Retry-After does not shorten the schedule')
  t.equal(nextDelay(0, 0, () => 0.7), 0)

  for (const [scheduled, retryAfter] of [[50, 0], [5000, 0], [300_000, 120_000], [5000, 7_200_000], [36_000_000, 0], [1, 3]]) {
    const base = Math.max(scheduled!, retryAfter!)
    let low = Infinity
    let high = -Infinity
    let whole = true
    for (let i = 0; i < 2000; i++) {
      const d = nextDelay(scheduled!, retryAfter)
      low = Math.min(low, d)
      high = Math.max(high, d)
      whole &&= Number.isInteger(d)
    }
    t.ok(whole, 'whole milliseconds')
    t.ok(low >= base, `${scheduled}/${retryAfter}: never below ${base} (lowest ${low})`)
    t.ok(high <= Math.round(base * 1.1), `${scheduled}/${retryAfter}: at most +10% (highest ${high})`)
    if (base >= 1000) t.ok(high > low, 'the delays spread')
  }
})

t.test('a retry delay beyond what setTimeout can wait does not fire at once', async (t) => {
  // Retry-After: 2592000 (30 days) or WEBHOOK_RETRY_SCHEDULE=600h give delays above 2^31-1 ms, which
  // Node's setTimeout replaces with 1 ms: the next attempt would go out immediately.
  // a Retry-After of 30 days is honoured up to a day; the queue still copes with longer waits
  t.equal(nextDelay(5000, parseRetryAfter('2592000', Date.now()), () => 0), 86_400_000)
  const delay = 2_592_000_000
  let attempts = 0
  const log = { error () {}, warn () {}, info () {} } as any
  const queue = new InProcessDeliveryQueue(async () => { attempts++; return { next: 'done' } }, log, 16)
  t.teardown(() => queue.close(0))
  const warnings: string[] = []
  const onWarning = (w: Error) => { warnings.push(w.name) }
  process.on('warning', onWarning)
  t.teardown(() => { process.off('warning', onWarning) })
  queue.add('evt_0123456789abcdef0123456789abcdef', delay)
  await new Promise((resolve) => setTimeout(resolve, 50))
  t.equal(attempts, 0, 'no attempt within 50 ms of a 30-day delay')
  t.notOk(warnings.includes('TimeoutOverflowWarning'), 'no TimeoutOverflowWarning')
})
