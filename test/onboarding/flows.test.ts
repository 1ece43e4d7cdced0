// Each flow end to end: session → login → simulated dialog → callback → verified webhook → session status.
import t from 'tap'
import { auth, build, CONFIG_IDS, createSession, GRANTS, onboard, PARTNER_AD_ACCOUNT, RETURN_ORIGIN } from '../helper.js'

t.test('flow 1, business portfolio: system-user token, assets from target_ids', async (t) => {
  const h = await build(t)
  const { session, dialog, callback } = await onboard(h, 'business_portfolio', GRANTS.business_portfolio, {
    external_id: 'tenant-42', metadata: { plan: 'pro' }, return_url: `${RETURN_ORIGIN}/done?x=1`
  })
  const d = new URL(dialog)
  t.equal(d.pathname, '/v26.0/dialog/oauth')
  t.equal(d.searchParams.get('client_id'), h.config.meta.appId)
  t.equal(d.searchParams.get('redirect_uri'), 'https://onboard.example.com/oauth/callback')
  t.equal(d.searchParams.get('config_id'), CONFIG_IDS.business_portfolio)
  t.equal(d.searchParams.get('response_type'), 'code')
  t.equal(d.searchParams.get('override_default_response_type'), 'true')
  t.match(d.searchParams.get('state'), /^ses_[0-9a-f]{32}_[A-Za-z0-9_-]{43}$/, 'the session, then 256 random bits')

  t.equal(callback.statusCode, 303)
  t.equal(callback.headers['cache-control'], 'no-store')
  t.equal(callback.headers['referrer-policy'], 'no-referrer')
  const back = new URL(callback.headers.location as string)
  t.equal(back.origin + back.pathname, `${RETURN_ORIGIN}/done`)
  t.same(Object.fromEntries(back.searchParams), { x: '1', session_id: session.id, status: 'completed' })

  // the exchange carried the dialog's redirect_uri byte for byte; every token call carried a proof
  t.equal(h.sim.callsTo('exchange')[0]?.query.redirect_uri, 'https://onboard.example.com/oauth/callback')
  for (const call of h.sim.callsTo('me')) t.match(call.query.appsecret_proof, /^[0-9a-f]{64}$/)

  const [event] = await h.receiver.waitFor((e) => e.length >= 1)
  t.equal(event!.type, 'onboarding.completed')
  const data = event!.body.data
  t.match(data.access_token, /^EAA/)
  t.same({ ...data, access_token: 'x' }, {
    session_id: session.id,
    external_id: 'tenant-42',
    metadata: { plan: 'pro' },
    flow: 'business_portfolio',
    access_token: 'x',
    token_type: 'system_user',
    token_expires_at: null,
    scopes: ['ads_management', 'pages_messaging', 'paid_marketing_messages', 'public_profile'],
    business_id: '1234567890',
    system_user_id: '61550000000001',
    user_id: null,
    page_ids: ['99', '1122334455'],
    ad_account_ids: ['act_5566778899'],
    billing_ad_account_id: 'act_5566778899'
  })
  t.equal(h.receiver.rejected.length, 0, 'every delivery verifies')

  await h.receiver.waitFor(() => true)
  let view: any
  for (let i = 0; i < 50; i++) {
    view = (await h.app.inject({ url: `/v1/sessions/${session.id}`, headers: auth })).json()
    if (view.delivery?.status === 'delivered') break
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  t.equal(view.status, 'completed')
  t.ok(view.completed_at)
  t.same(view.result.page_ids, ['99', '1122334455'])
  t.notOk(JSON.stringify(view).includes(data.access_token), 'the session object never holds the token')
  t.same(view.delivery, { event_id: event!.id, status: 'delivered', attempts: 1 })
})

t.test('flow 1 with granular scopes without target_ids: assets read with the token, across pages', async (t) => {
  const h = await build(t)
  // more than one page of 100
  const pageIds = Array.from({ length: 205 }, (_, i) => String(205 - i))
  const grant = { ...GRANTS.business_portfolio, targetIds: false, scopes: [...GRANTS.business_portfolio.scopes, 'pages_show_list'], pageIds, adAccountIds: ['7', '8', '9'] }
  const { callback } = await onboard(h, 'business_portfolio', grant)
  t.equal(callback.statusCode, 200)
  t.match(callback.body, /connected/)
  const [event] = await h.receiver.waitFor((e) => e.length >= 1)
  t.same(event!.body.data.page_ids, Array.from({ length: 205 }, (_, i) => String(i + 1)))
  t.same(event!.body.data.ad_account_ids, ['act_7', 'act_8', 'act_9'])
  t.equal(event!.body.data.billing_ad_account_id, null, 'several ad accounts: no single billing account')
  t.ok(h.sim.callsTo('accounts').length >= 3, 'followed the paging')
  for (const call of [...h.sim.callsTo('accounts'), ...h.sim.callsTo('adaccounts')]) t.ok(call.query.appsecret_proof)
})

t.test('flow 2, asset based: user token made long-lived, no override_default_response_type', async (t) => {
  const h = await build(t)
  const before = Date.now()
  const { session, dialog, callback } = await onboard(h, 'asset_based', GRANTS.asset_based)
  t.equal(new URL(dialog).searchParams.get('override_default_response_type'), null)
  t.equal(new URL(dialog).searchParams.get('config_id'), CONFIG_IDS.asset_based)
  t.equal(callback.statusCode, 200)
  const [event] = await h.receiver.waitFor((e) => e.length >= 1)
  const data = event!.body.data
  t.equal(data.token_type, 'user')
  t.equal(h.sim.tokenInfo(data.access_token)?.longLived, true, 'the webhook carries the long-lived token')
  const expires = Date.parse(data.token_expires_at)
  t.ok(expires >= before + 5183944_000 - 5000 && expires <= Date.now() + 5183944_000 + 5000, 'expiry from expires_in')
  t.equal(data.business_id, null)
  t.equal(data.system_user_id, null)
  t.equal(data.user_id, '10222270944537964')
  t.same(data.ad_account_ids, ['act_20', 'act_300'])
  t.equal(data.session_id, session.id)
  t.equal(h.sim.callsTo('long_lived').length, 1)
})

t.test('flow 3, partner billing: the partner ad account is connected with multipart', async (t) => {
  const h = await build(t)
  const { callback } = await onboard(h, 'partner_billing', GRANTS.partner_billing)
  t.equal(callback.statusCode, 200)
  const [event] = await h.receiver.waitFor((e) => e.length >= 1)
  const data = event!.body.data
  t.equal(data.billing_ad_account_id, `act_${PARTNER_AD_ACCOUNT}`)
  t.equal(data.business_id, '1234567891')
  t.equal(data.system_user_id, '61550000000000')
  t.same(data.ad_account_ids, [])
  t.same(h.sim.assetConnections, [{ systemUserId: '61550000000000', assetId: PARTNER_AD_ACCOUNT }])
  const call = h.sim.callsTo('asset_connections')[0]!
  t.match(call.headers['content-type'], /^multipart\/form-data/)
  t.equal(call.path, '/system_accounts/61550000000000/asset-connections')
  t.equal(call.headers.authorization, `Bearer ${data.access_token}`)
})

t.test('flow 3 again for the same business: a repeated connection Meta refuses counts as done when the account is assigned', async (t) => {
  const h = await build(t)
  await onboard(h, 'partner_billing', GRANTS.partner_billing)
  const again = await onboard(h, 'partner_billing', GRANTS.partner_billing)
  t.equal(again.callback.statusCode, 200)
  const events = await h.receiver.waitFor((e) => e.length >= 2)
  t.same(events.map((e) => e.type), ['onboarding.completed', 'onboarding.completed'])
  t.equal(events[1]!.body.data.billing_ad_account_id, `act_${PARTNER_AD_ACCOUNT}`)
  t.equal(h.sim.callsTo('asset_connections').length, 2, 'connected once, refused the second time')
  const read = h.sim.callsTo('assigned_ad_accounts')
  t.equal(read.length, 1, "then the system user's assigned ad accounts were read")
  t.equal(read[0]!.path, '/v26.0/61550000000000/assigned_ad_accounts')
  t.ok(read[0]!.query.appsecret_proof, 'with appsecret_proof')
})

t.test('the calls that need only the token run side by side: /me and the long-lived exchange do not wait for debug_token', async (t) => {
  const h = await build(t)
  const until = async (done: () => boolean, ms: number) => {
    const deadline = Date.now() + ms
    while (!done() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5))
    return done()
  }
  for (const [flow, beside] of [['business_portfolio', 'me'], ['asset_based', 'long_lived']] as const) {
    h.sim.reset()
    // debug_token answers only after 600 ms: a call made after its answer could not arrive sooner
    h.sim.failNext('debug_token', { delayMs: 600 })
    const session = await createSession(h, { flow })
    const answer = h.app.inject({ method: 'POST', url: `/v1/sessions/${session.id}/code`, headers: auth, payload: { code: h.sim.issueCode(GRANTS[flow]) } })
    t.ok(await until(() => h.sim.callsTo('debug_token').length === 1, 2000), `${flow}: debug_token asked`)
    t.ok(await until(() => h.sim.callsTo(beside).length === 1, 400), `${flow}: ${beside} asked while debug_token was still answering`)
    t.equal((await answer).json().status, 'completed', `${flow}: and the decisions still taken in order`)
  }
})
