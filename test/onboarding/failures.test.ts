// Classification and Meta failures: each ends in a failed session, an onboarding.failed webhook
// without a token, and the Meta details kept.
import t, { type Test } from 'tap'
import type { FlowName } from '../../src/flows/flows.js'
import type { SimulatedGrant } from '../../src/sandbox/meta-simulator.js'
import { auth, build, createSession, GRANTS, type Harness } from '../helper.js'

/** the JS SDK path: the quickest way to run one code through the pipeline */
async function submit (h: Harness, flow: FlowName, grant: SimulatedGrant) {
  const session = await createSession(h, { flow })
  const res = await h.app.inject({ method: 'POST', url: `/v1/sessions/${session.id}/code`, headers: auth, payload: { code: h.sim.issueCode(grant) } })
  t.equal(res.statusCode, 200, `${flow}: /code answers 200 with the final session`)
  return res.json()
}

async function failedWith (t: Test, h: Harness, view: any, code: string) {
  t.equal(view.status, 'failed')
  t.equal(view.error.code, code)
  t.equal(view.result, null)
  const events = await h.receiver.waitFor((e) => e.some((x) => x.body.data.session_id === view.id))
  const event = events.find((x) => x.body.data.session_id === view.id)!
  t.equal(event.type, 'onboarding.failed')
  t.same(event.body.data.error, view.error)
  t.notOk('access_token' in event.body.data, 'a failure never carries a token')
  return view.error
}

t.test('missing permissions name the missing scopes', async (t) => {
  const h = await build(t)
  const grant = { ...GRANTS.business_portfolio, scopes: ['ads_management'] }
  const error = await failedWith(t, h, await submit(h, 'business_portfolio', grant), 'missing_permissions')
  t.same(error.missing_scopes, ['pages_messaging', 'paid_marketing_messages'])
  const flow3 = { ...GRANTS.partner_billing, scopes: ['ads_management', 'pages_messaging', 'paid_marketing_messages'] }
  t.same((await failedWith(t, h, await submit(h, 'partner_billing', flow3), 'missing_permissions')).missing_scopes, ['business_management'])
  t.equal(h.sim.callsTo('asset_connections').length, 0, 'no follow-up after a failed check')
})

t.test('flow mismatch, checked before permissions', async (t) => {
  const h = await build(t)
  // a system-user token where a user token was expected, and the reverse
  await failedWith(t, h, await submit(h, 'asset_based', GRANTS.business_portfolio), 'flow_mismatch')
  await failedWith(t, h, await submit(h, 'business_portfolio', GRANTS.asset_based), 'flow_mismatch')
  await failedWith(t, h, await submit(h, 'partner_billing', GRANTS.asset_based), 'flow_mismatch')
  // a user token carrying paid_marketing_messages is a flow 1/3 grant, even if it expires
  const paid = { ...GRANTS.asset_based, scopes: [...GRANTS.asset_based.scopes, 'paid_marketing_messages'] }
  await failedWith(t, h, await submit(h, 'asset_based', paid), 'flow_mismatch')
  // a mismatched token with missing scopes is still a mismatch
  await failedWith(t, h, await submit(h, 'asset_based', { ...GRANTS.business_portfolio, scopes: [] }), 'flow_mismatch')
  // the long-lived exchange may run beside the inspection, but a token that failed the checks goes nowhere
  t.equal(h.sim.callsTo('asset_connections').length, 0)
})

t.test('missing assets', async (t) => {
  const h = await build(t)
  await failedWith(t, h, await submit(h, 'business_portfolio', { ...GRANTS.business_portfolio, pageIds: [] }), 'missing_assets')
  await failedWith(t, h, await submit(h, 'asset_based', { ...GRANTS.asset_based, adAccountIds: [] }), 'missing_assets')
  // assets listed with the token, which then needs pages_show_list
  const listed = { ...GRANTS.business_portfolio, targetIds: false, scopes: [...GRANTS.business_portfolio.scopes, 'pages_show_list'] }
  await failedWith(t, h, await submit(h, 'business_portfolio', { ...listed, adAccountIds: [] }), 'missing_assets')
  // flow 3 bills the partner's account: no ad account needed from the admin
  t.equal((await submit(h, 'partner_billing', { ...GRANTS.partner_billing, adAccountIds: [] })).status, 'completed')
})

t.test('a token of another app, or an invalid one, is token_invalid', async (t) => {
  const h = await build(t)
  const other = await failedWith(t, h, await submit(h, 'business_portfolio', { ...GRANTS.business_portfolio, appId: '999999' }), 'token_invalid')
  t.match(other.message, /another app/)
  await failedWith(t, h, await submit(h, 'business_portfolio', { ...GRANTS.business_portfolio, isValid: false }), 'token_invalid')
  // /me runs beside the inspection; nothing that depends on the token's being ours follows it
  t.equal(h.sim.callsTo('accounts').length + h.sim.callsTo('adaccounts').length + h.sim.callsTo('asset_connections').length, 0, 'no asset is read or connected with a token that is not ours')
})

t.test('a Meta 5xx on debug_token is retried, then succeeds', async (t) => {
  const h = await build(t)
  h.sim.failNext('debug_token', { status: 500 })
  h.sim.failNext('me', { status: 400, graphError: { code: 2, message: 'An unexpected error has occurred. Please retry your request later.', is_transient: true } })
  const view = await submit(h, 'business_portfolio', GRANTS.business_portfolio)
  t.equal(view.status, 'completed')
  t.equal(h.sim.callsTo('debug_token').length, 2)
  t.equal(h.sim.callsTo('me').length, 2, 'a temporary Graph error is retried too')
  const [event] = await h.receiver.waitFor((e) => e.length >= 1)
  t.equal(event!.type, 'onboarding.completed')
})

t.test('the code exchange is never retried', async (t) => {
  const h = await build(t, { env: { META_TIMEOUT_MS: '300' } })
  h.sim.failNext('exchange', { status: 500 })
  await failedWith(t, h, await submit(h, 'business_portfolio', GRANTS.business_portfolio), 'upstream_unavailable')
  t.equal(h.sim.callsTo('exchange').length, 1)
  h.sim.failNext('exchange', { delayMs: 800 })
  await failedWith(t, h, await submit(h, 'business_portfolio', GRANTS.business_portfolio), 'upstream_unavailable')
  t.equal(h.sim.callsTo('exchange').length, 2, 'a timeout is not retried either')
})

t.test('a refused code is code_exchange_failed with Meta details', async (t) => {
  const h = await build(t)
  const session = await createSession(h, { flow: 'business_portfolio' })
  // a dialog code sent without its redirect_uri, as a JS SDK code would be: Meta refuses it
  const code = h.sim.issueCode(GRANTS.business_portfolio, 'https://onboard.example.com/oauth/callback')
  const res = await h.app.inject({ method: 'POST', url: `/v1/sessions/${session.id}/code`, headers: auth, payload: { code } })
  const error = await failedWith(t, h, res.json(), 'code_exchange_failed')
  t.equal(error.meta.code, 100)
  t.equal(error.meta.type, 'OAuthException')
  t.match(error.meta.fbtrace_id, /./)
})

t.test('a Graph error on /me is token_invalid, on the asset connection asset_connection_failed', async (t) => {
  const h = await build(t)
  h.sim.failNext('me', { status: 400, graphError: { code: 190, error_subcode: 460, message: 'Error validating access token' } })
  const me = await failedWith(t, h, await submit(h, 'business_portfolio', GRANTS.business_portfolio), 'token_invalid')
  t.same({ code: me.meta.code, error_subcode: me.meta.error_subcode }, { code: 190, error_subcode: 460 })
  h.sim.failNext('asset_connections', { status: 400, graphError: { code: 100, message: 'Invalid parameter' } })
  const connection = await failedWith(t, h, await submit(h, 'partner_billing', GRANTS.partner_billing), 'asset_connection_failed')
  t.equal(connection.meta.code, 100)
  t.equal(h.sim.callsTo('asset_connections').length, 1, 'a non-transient error is not retried')
})

t.test('assets to list without target_ids need pages_show_list: without it, no /me/accounts call', async (t) => {
  const h = await build(t)
  const withoutTargets = { ...GRANTS.business_portfolio, targetIds: false }
  const error = await failedWith(t, h, await submit(h, 'business_portfolio', withoutTargets), 'missing_permissions')
  t.same(error.missing_scopes, ['pages_show_list'])
  t.equal(h.sim.callsTo('accounts').length, 0, 'the edge Meta would refuse is not called')
  // a listing Meta refuses with a permission error is the grant's fault, not the token's
  h.sim.failNext('accounts', { status: 403, graphError: { code: 200, message: '(#200) Permissions error' } })
  const refused = await failedWith(t, h, await submit(h, 'business_portfolio', { ...withoutTargets, scopes: [...withoutTargets.scopes, 'pages_show_list'] }), 'missing_permissions')
  t.same(refused.missing_scopes, ['pages_show_list'])
  t.equal(refused.meta.code, 200)
})
