// The simulated Meta's tokens: the code exchange (single use, bound to the dialog's redirect_uri, the app
// checked first), the long-lived exchange of a user token, what debug_token says of each kind of token, and
// the expiry of user tokens and of appsecret_time by an injected clock.
import t from 'tap'
import { MetaSimulator } from '../../src/sandbox/meta-simulator.js'
import { type Answer, APP_ID, APP_SECRET, call, debug, exchange, flow1, flow2, proof, REDIRECT, sim, tokenFor, V } from './meta-simulator-fixtures.js'

t.test('code exchange: success shapes, single use, redirect_uri rules, app checks', async (t) => {
  const system = await exchange(sim.issueCode(flow1))
  t.equal(system.status, 200)
  t.same(Object.keys(system.body).sort(), ['access_token', 'token_type'], 'a system-user token has no expires_in')
  t.match(system.body.access_token, /^EAA[0-9A-Za-z]{60}$/)
  t.equal(system.body.token_type, 'bearer')

  const user = await exchange(sim.issueCode(flow2))
  t.equal(user.body.expires_in, 3600)
  t.not(user.body.access_token, system.body.access_token)

  const code = sim.issueCode(flow1, REDIRECT)
  t.equal((await exchange(code, { redirect_uri: REDIRECT })).status, 200)
  const again = await exchange(code, { redirect_uri: REDIRECT })
  t.equal(again.status, 400)
  t.match(again.body.error, { code: 100, type: 'OAuthException', message: 'This authorization code has been used.' })
  t.match(again.body.error.fbtrace_id, /^\S{6,}$/)
  t.equal(again.headers.get('www-authenticate'), 'OAuth "Facebook Platform" "invalid_code" "This authorization code has been used."')

  const redirectError = { code: 100, error_subcode: 36008, message: /^Error validating verification code\. Please make sure your redirect_uri is identical/ }
  const mismatched = sim.issueCode(flow1, REDIRECT)
  t.match((await exchange(mismatched, { redirect_uri: `${REDIRECT}/` })).body.error, redirectError)
  t.match((await exchange(mismatched, { redirect_uri: REDIRECT })).body.error, { message: 'This authorization code has been used.' },
    'a mismatching attempt still spends the code')
  t.match((await exchange(sim.issueCode(flow1, REDIRECT))).body.error, redirectError, 'a dialog code needs its redirect_uri')
  t.match((await exchange(sim.issueCode(flow1), { redirect_uri: '' })).body.error, redirectError, 'a JS-SDK code refuses even an empty redirect_uri')

  const fresh = sim.issueCode(flow1)
  t.match((await exchange(fresh, { client_secret: 'wrong' })).body.error, { code: 1, message: 'Error validating client secret.' })
  t.match((await exchange(fresh, { client_id: '42' })).body.error, { code: 101, message: 'Error validating application. Invalid application ID.' })
  t.equal((await exchange(fresh)).status, 200, 'app errors are found before the code is touched')
  t.match((await exchange('AQnot-a-code')).body.error, { code: 100, message: 'Invalid verification code format.' })
})

t.test('long-lived exchange', async (t) => {
  const short = await tokenFor(flow2)
  const ll = (token: string, extra: Record<string, string> = {}): Promise<Answer> => call(`/${V}/oauth/access_token`,
    { grant_type: 'fb_exchange_token', client_id: APP_ID, client_secret: APP_SECRET, fb_exchange_token: token, ...extra })
  const before = Math.floor(Date.now() / 1000)
  const res = await ll(short)
  t.equal(res.status, 200)
  t.equal(res.body.token_type, 'bearer')
  t.equal(res.body.expires_in, 5183944)
  t.not(res.body.access_token, short)
  t.same(sim.tokenInfo(res.body.access_token), { grant: sim.tokenInfo(short)?.grant, longLived: true })
  const data = (await debug(res.body.access_token)).body.data
  t.ok(data.expires_at >= before + 5183944 && data.expires_at <= before + 5183946, 'debug_token shows ~60 days')
  t.equal(data.user_id, flow2.userId)

  const invalid = { code: 190, message: 'Invalid OAuth access token.' }
  t.match((await ll(await tokenFor(flow1))).body.error, invalid, 'a system-user token has no long-lived form')
  t.match((await ll('EAAunknown')).body.error, invalid)
  t.match((await ll(short, { client_secret: 'x' })).body.error, { code: 1 })
  t.same(sim.calls.map((c) => c.endpoint), ['exchange', 'long_lived', 'debug_token', 'exchange', 'long_lived', 'long_lived', 'long_lived'])
})

t.test('debug_token shapes', async (t) => {
  const bad = await call(`/${V}/debug_token`, { input_token: 'x', access_token: `${APP_ID}|nope` })
  t.equal(bad.status, 400)
  t.match(bad.body.error, { code: 190, type: 'OAuthException', message: 'Invalid OAuth access token signature.' })

  const unknown = await debug('EAAnothing')
  t.equal(unknown.status, 200)
  t.same(unknown.body, { data: { is_valid: false, error: { code: 190, message: 'Invalid OAuth access token.' }, scopes: [] } })

  const before = Math.floor(Date.now() / 1000)
  const flow3 = { ...flow1, scopes: ['ads_management', 'pages_messaging', 'business_management', 'paid_marketing_messages'] }
  const sys = (await debug(await tokenFor(flow3))).body.data
  t.match(sys, { app_id: APP_ID, type: 'SYSTEM_USER', application: 'Sandbox App', expires_at: 0, data_access_expires_at: 0, is_valid: true, user_id: flow1.userId })
  t.ok(sys.issued_at >= before)
  t.same(sys.scopes, flow3.scopes)
  t.same(sys.granular_scopes, [
    { scope: 'ads_management', target_ids: ['333'] },
    { scope: 'pages_messaging', target_ids: ['111', '222'] },
    { scope: 'business_management', target_ids: [flow1.businessId] },
    { scope: 'paid_marketing_messages' }
  ])

  const bare = (await debug(await tokenFor({ ...flow1, targetIds: false }))).body.data
  t.same(bare.granular_scopes, flow1.scopes.map((scope) => ({ scope })), 'no target_ids, like Meta\'s system-user example')

  const user = (await debug(await tokenFor(flow2))).body.data
  t.equal(user.type, 'USER')
  t.ok(user.expires_at >= before + 3600 && user.expires_at <= before + 3602)

  t.equal((await debug(await tokenFor({ ...flow1, appId: '777' }))).body.data.app_id, '777')

  const revoked = (await debug(await tokenFor({ ...flow1, isValid: false }))).body.data
  t.equal(revoked.is_valid, false)
  t.equal(revoked.error.code, 190)

  const generated = { ...flow2, userId: undefined }
  const a = sim.tokenInfo(await tokenFor(generated))?.grant
  const b = sim.tokenInfo(await tokenFor(generated))?.grant
  t.match(a?.userId, /^[1-9]\d{14}$/)
  t.equal(a?.userId, b?.userId, 'the same grant object keeps its generated ids')
})

t.test('an injected clock expires user tokens and judges appsecret_time', async (t) => {
  let now = Date.now()
  const clocked = new MetaSimulator({ appId: APP_ID, appSecret: APP_SECRET, now: () => now })
  await clocked.start()
  t.teardown(() => clocked.close())
  const get = async (path: string, query: Record<string, string>): Promise<any> =>
    await (await fetch(`${clocked.url}${path}?${new URLSearchParams(query).toString()}`)).json()
  const { access_token: token } = await get(`/${V}/oauth/access_token`, { client_id: APP_ID, client_secret: APP_SECRET, code: clocked.issueCode(flow2) })
  const seconds = (): number => Math.floor(now / 1000)

  now += 3599_000
  t.equal((await get(`/${V}/me`, { fields: 'id', access_token: token, ...proof(token, seconds()) })).id, flow2.userId)
  now += 2_000
  const expired = await get(`/${V}/me`, { fields: 'id', access_token: token, ...proof(token, seconds()) })
  t.match(expired.error, { code: 190, error_subcode: 463, message: /^Error validating access token: Session has expired on \w+day, \d\d-\w{3}-\d\d / })
  const data = (await get(`/${V}/debug_token`, { input_token: token, access_token: `${APP_ID}|${APP_SECRET}` })).data
  t.match(data, { is_valid: false, error: { code: 190, subcode: 463 } })
  t.match((await get(`/${V}/oauth/access_token`, { grant_type: 'fb_exchange_token', client_id: APP_ID, client_secret: APP_SECRET, fb_exchange_token: token })).error,
    { code: 190 }, 'an expired token cannot be made long-lived')

  const sys = (await get(`/${V}/oauth/access_token`, { client_id: APP_ID, client_secret: APP_SECRET, code: clocked.issueCode(flow1) })).access_token
  t.equal((await get(`/${V}/me`, { access_token: sys, ...proof(sys, seconds() - 300) })).name, 'Sandbox System User', '300 s of skew is accepted')
  t.match((await get(`/${V}/me`, { access_token: sys, ...proof(sys, seconds() + 301) })).error, { code: 100, type: 'GraphMethodException' })
})
