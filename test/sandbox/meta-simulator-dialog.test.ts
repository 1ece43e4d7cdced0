// The simulated Meta's login dialog: approve and deny send the browser back to the redirect_uri with a code or
// an error and the state byte for byte, a dialog URL the service got wrong is refused, and the browser dialog
// (continue as the admin, choose the assets) grants what was ticked through 302s.
import t from 'tap'
import { APP_ID, call, dialogUrl, exchange, flow1, REDIRECT, sim, tokenFor, V } from './meta-simulator-fixtures.js'

t.test('approve and deny build the callback URL and validate the dialog URL', async (t) => {
  const back = new URL(sim.approve(dialogUrl(), flow1))
  t.equal(`${back.origin}${back.pathname}`, REDIRECT)
  t.equal(back.searchParams.get('state'), 's t/ate+1', 'state is echoed byte for byte')
  const code = back.searchParams.get('code') ?? ''
  t.match(code, /^[A-Za-z0-9_-]{40,}$/)

  const withQuery = new URL(sim.approve(dialogUrl({ redirect_uri: `${REDIRECT}?tenant=a` }), flow1))
  t.equal(withQuery.searchParams.get('tenant'), 'a', 'an existing query is kept and extended with &')
  t.ok(withQuery.searchParams.get('code'))

  const denied = sim.deny(dialogUrl())
  t.equal(denied, `${REDIRECT}?error=access_denied&error_code=200&error_description=Permissions+error.&error_reason=user_denied&state=s%20t%2Fate%2B1`)

  t.throws(() => sim.approve(dialogUrl({ client_id: '999' }), flow1), /client_id/)
  t.throws(() => sim.approve(dialogUrl({ redirect_uri: null }), flow1), /redirect_uri/)
  t.throws(() => sim.approve(dialogUrl({ config_id: null }), flow1), /config_id/)
  t.throws(() => sim.deny(dialogUrl({ state: null })), /state/)
  t.throws(() => sim.approve(dialogUrl({ response_type: 'token' }), flow1), /response_type/)
  t.throws(() => sim.approve(dialogUrl().replace('/dialog/oauth', '/dialog/oauth2'), flow1), /path/)
  t.throws(() => sim.approve(dialogUrl().replace(`/${V}/`, '/v26/'), flow1), /path/)

  // The code is bound to the dialog's redirect_uri, state never reaches the exchange.
  const ok = await exchange(code, { redirect_uri: REDIRECT })
  t.equal(ok.status, 200)
  t.same(sim.tokenInfo(ok.body.access_token), { grant: { ...flow1, targetIds: true, appId: APP_ID, isValid: true }, longLived: false })
})

t.test('the browser dialog: continue as the admin, choose assets, approve or cancel through 302s', async (t) => {
  const query = Object.fromEntries(new URL(dialogUrl({ state: '<b>"x"</b>' })).searchParams)
  const page = await call(`/${V}/dialog/oauth`, query)
  t.equal(page.status, 200)
  t.match(page.headers.get('content-type'), /text\/html/)
  t.notMatch(page.body, /<b>"x"<\/b>/, 'query values are html-escaped')
  t.match(page.body, /Continue as Alex/)
  t.match(page.body, /action="\/__sim\/dialog\/assets"/)
  const cancel = /id="cancel" href="([^"]+)"/.exec(String(page.body))?.[1]?.replaceAll('&amp;', '&')

  const assets = await call('/__sim/dialog/assets', query)
  t.equal(assets.status, 200)
  t.match(assets.body, /name="portfolio" value="880000000000002"/)
  t.match(assets.body, /name="adaccount_2345678901234567"/)

  const chosen = new URLSearchParams({ decision: 'approve', ...query, portfolio: '880000000000002', page_103456789012345: 'on', adaccount_2345678901234567: 'on' })
  const approve = await fetch(`${sim.url}/__sim/dialog/decide?${chosen}`, { redirect: 'manual' })
  t.equal(approve.status, 302)
  const back = new URL(approve.headers.get('location') ?? '')
  t.equal(back.searchParams.get('state'), '<b>"x"</b>')
  const ok = await exchange(back.searchParams.get('code') ?? '', { redirect_uri: REDIRECT })
  t.equal(ok.status, 200)
  const grant = sim.tokenInfo(ok.body.access_token)?.grant
  t.same(grant?.scopes, ['ads_management', 'pages_messaging', 'paid_marketing_messages'], 'an unknown configuration asks what flow 1 asks')
  t.equal(grant?.businessId, '880000000000002', 'the chosen portfolio')
  t.same(grant?.pageIds, ['103456789012345'], 'the ticked Page')
  t.same(grant?.adAccountIds, ['2345678901234567'], 'the ticked ad account')

  const deny = await fetch(`${sim.url}${cancel ?? ''}`, { redirect: 'manual' })
  t.equal(deny.status, 302)
  t.match(deny.headers.get('location'), /\?error=access_denied&.*error_reason=user_denied&state=%3Cb%3E/)

  const broken = await call(`/${V}/dialog/oauth`, { client_id: APP_ID })
  t.equal(broken.status, 400)
  t.match(broken.body, /no redirect_uri/)
  t.notMatch(broken.body, /Continue/)
  t.same(sim.calls.map((c) => c.endpoint), ['dialog', 'dialog', 'other', 'exchange', 'other', 'dialog'])
})

t.test('malformed dialog decisions and multipart bodies are refused', async (t) => {
  const decide = await fetch(`${sim.url}/__sim/dialog/decide?decision=approve&client_id=${APP_ID}`, { redirect: 'manual' })
  t.equal(decide.status, 400)
  t.equal(sim.calls.length, 1)

  const token = await tokenFor(flow1)
  const res = await call(`/system_accounts/${flow1.userId ?? ''}/asset-connections`, {}, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'multipart/form-data; boundary=xyz' },
    body: 'not a multipart body'
  })
  t.match(res.body.error, { code: 100, message: '(#100) The parameter asset_id is required' })
  const digitsOnly = new FormData()
  digitsOnly.set('asset_id', 'act_424242')
  t.match((await call(`/system_accounts/${flow1.userId ?? ''}/asset-connections`, {}, {
    method: 'POST', headers: { authorization: `Bearer ${token}` }, body: digitsOnly
  })).body.error, { code: 100 }, 'asset_id is digits, without act_')
  t.same(sim.assetConnections, [])
})
