// Every route and failure path at LOG_LEVEL=trace, with the logs captured: no secret, token, code or state
// appears in them, and each request is one line without its query string.
import t from 'tap'
import { auth, Browser, build, createSession, GRANTS, knownSecrets, leakedSecrets, onboard } from './helper.js'

t.test('no secret in the logs across every route and failure path', async (t) => {
  const h = await build(t, { env: { LOG_LEVEL: 'trace', ONBOARDING_RETRY_SCHEDULE: '100ms' } })
  let requests = 0
  const count = <T>(value: T): T => { requests++; return value }

  // the three flows, end to end (3 requests each: create, login, callback)
  for (const flow of ['business_portfolio', 'asset_based', 'partner_billing'] as const) {
    count(count(count(await onboard(h, flow, GRANTS[flow], { external_id: `tenant-${flow}` }))))
  }
  // denial, and a replayed callback
  const denied = await onboard(h, 'business_portfolio', 'deny')
  requests += 3
  count(await denied.browser.get(denied.callbackUrl))
  // Meta failures at each step
  h.sim.failNext('debug_token', { status: 500 }, 3)
  requests += 3
  await onboard(h, 'business_portfolio', GRANTS.business_portfolio)
  h.sim.failNext('exchange', { status: 400, graphError: { code: 100, message: 'This authorization code has been used.' } })
  requests += 3
  await onboard(h, 'asset_based', GRANTS.asset_based)
  h.sim.failNext('asset_connections', { status: 400, graphError: { code: 100 } })
  requests += 3
  await onboard(h, 'partner_billing', GRANTS.partner_billing)
  // the JS SDK path
  const session = count(await createSession(h, { flow: 'business_portfolio' }))
  count(await h.app.inject({ method: 'POST', url: `/v1/sessions/${session.id}/code`, headers: auth, payload: { code: h.sim.issueCode(GRANTS.business_portfolio) } }))
  // bad input and bad keys
  count(await h.app.inject({ method: 'POST', url: '/v1/sessions', headers: { authorization: `Bearer ${h.config.partnerApiKeys[0]}x` }, payload: { flow: 'asset_based' } }))
  count(await h.app.inject({ method: 'POST', url: '/v1/sessions', headers: auth, payload: { flow: 'nope', secret: h.config.meta.appSecret } }))
  count(await h.app.inject({ method: 'POST', url: '/v1/sessions', headers: { ...auth, 'content-type': 'application/json' }, payload: '{"flow":' }))
  count(await new Browser(h.app).get(`/oauth/callback?code=AQsecretcode1234567890&state=${'C'.repeat(43)}`))
  count(await new Browser(h.app).get('/oauth/callback?error=access_denied'))
  count(await h.app.inject({ url: '/v1/deliveries?status=pending', headers: auth }))
  count(await h.app.inject({ url: '/v1/deliveries?cursor=forged', headers: auth }))
  count(await h.app.inject({ method: 'POST', url: '/v1/deliveries/evt_00000000000000000000000000000000/redeliver', headers: auth }))
  count(await h.app.inject({ url: `/oauth/callback?code=AQsecretcode1234567890&pad=${'x'.repeat(9000)}` }))
  count(await h.app.inject('/healthz'))
  count(await h.app.inject('/readyz'))
  count(await h.app.inject('/metrics'))
  await h.receiver.waitFor((e) => e.length >= 8)

  const lines = h.logs.lines.map((l) => JSON.parse(l))
  const requestLines = lines.filter((l) => l.msg === 'request')
  t.equal(requestLines.length, requests, 'one line per request')
  for (const line of requestLines) t.notMatch(line.path, /\?/, 'no query string')
  t.notOk(lines.some((l) => l.msg === 'incoming request' || l.msg === 'request completed'), "Fastify's own two lines per request are off")
  t.ok(lines.some((l) => l.msg === 'webhook attempt' && /^evt_/.test(l.event_id) && /^ses_/.test(l.session_id)), 'deliveries logged with event and session IDs')

  // one onboarding followed across the logs: the callback's request ID travels with its webhook attempts
  const callbackLine = requestLines.find((l) => l.route === '/oauth/callback' && l.status === 200 && l.session_id)
  const attempt = lines.find((l) => l.msg === 'webhook attempt' && l.session_id === callbackLine?.session_id)
  t.ok(callbackLine && attempt, 'the callback request line names its session, and its webhook attempt is found')
  t.equal(attempt?.request_id, callbackLine.reqId, 'the webhook attempt names the callback request')
  t.match(attempt?.event_id, /^evt_/, 'and the webhook-id the partner sees')

  const secrets = knownSecrets(h)
  t.ok(secrets.filter(([kind]) => kind === 'code').length >= 7, 'the check knows the codes Meta handed out')
  t.ok(secrets.filter(([kind]) => kind === 'input_token').length >= 5, 'and the tokens')
  t.same(leakedSecrets(h.logs.text, secrets), [])
  t.notMatch(h.logs.text, /AQsecretcode/)

  // the check itself can fail
  const planted = leakedSecrets(`{"msg":"x","t":"${secrets.find(([k]) => k === 'input_token')![1]}"}`, secrets)
  t.ok(planted.includes('input_token') && planted.includes('token-shaped string'), 'a planted token is found')
  t.same(leakedSecrets(`{"k":"${h.config.cookieSecret}"}`, secrets), ['COOKIE_SECRET'], 'a planted secret is found')
})
