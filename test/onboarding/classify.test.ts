// How IDs are normalised, and whether a token fits its flow, checked in this order: the kind of token and a
// business where the flow needs one (flow_mismatch), then the permissions (missing_permissions), then the
// Pages and ad accounts (missing_assets).
import t from 'tap'
import type { TokenInfo } from '../../src/meta/meta-client.js'
import { checkAssets, checkBusiness, checkPermissions, checkTokenKind, normalizeIds } from '../../src/onboarding/classify.js'
import { FLOWS, FLOW_NAMES, type FlowName } from '../../src/flows/flows.js'
import { OnboardingFailure } from '../../src/onboarding/onboarding-failure.js'

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
