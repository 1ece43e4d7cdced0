import { createHmac } from 'node:crypto'
import t from 'tap'
import { MetaSimulator } from '../../src/sandbox/meta-simulator.js'
import type { SimulatedGrant } from '../../src/sandbox/meta-simulator.js'

const APP_ID = '1234567890'
const APP_SECRET = 'shh-app-secret'
const REDIRECT = 'https://onboard.example.com/oauth/callback'
const V = 'v26.0'

const sim = new MetaSimulator({ appId: APP_ID, appSecret: APP_SECRET })
await sim.start()
t.teardown(() => sim.close())
t.beforeEach(() => { sim.reset() })

const flow1: SimulatedGrant = {
  kind: 'system_user',
  scopes: ['ads_management', 'pages_messaging', 'paid_marketing_messages'],
  pageIds: ['111', '222'],
  adAccountIds: ['333'],
  userId: '900000000000001',
  businessId: '8000000000000001'
}
const flow2: SimulatedGrant = {
  kind: 'user',
  scopes: ['ads_management', 'pages_messaging', 'marketing_messages_messenger'],
  pageIds: ['111'],
  adAccountIds: ['333'],
  userId: '700000000000007'
}

interface Answer { status: number, body: any, headers: Headers }

async function call (path: string, query: Record<string, string> = {}, init: RequestInit = {}): Promise<Answer> {
  const qs = new URLSearchParams(query).toString()
  const res = await fetch(`${sim.url}${path}${qs === '' ? '' : `?${qs}`}`, init)
  const text = await res.text()
  let body: unknown = text
  try { body = JSON.parse(text) } catch {}
  return { status: res.status, body, headers: res.headers }
}

function dialogUrl (overrides: Record<string, string | null> = {}): string {
  const params = new URLSearchParams({
    client_id: APP_ID,
    redirect_uri: REDIRECT,
    config_id: '555',
    state: 's t/ate+1',
    response_type: 'code',
    override_default_response_type: 'true'
  })
  for (const [k, v] of Object.entries(overrides)) {
    if (v === null) params.delete(k)
    else params.set(k, v)
  }
  return `${sim.url}/${V}/dialog/oauth?${params.toString()}`
}

const exchange = (code: string, extra: Record<string, string> = {}): Promise<Answer> =>
  call(`/${V}/oauth/access_token`, { client_id: APP_ID, client_secret: APP_SECRET, code, ...extra })

async function tokenFor (grant: SimulatedGrant): Promise<string> {
  const res = await exchange(sim.issueCode(grant))
  return res.body.access_token
}

function proof (token: string, time = Math.floor(Date.now() / 1000)): Record<string, string> {
  return {
    appsecret_proof: createHmac('sha256', APP_SECRET).update(`${token}|${time}`).digest('hex'),
    appsecret_time: String(time)
  }
}

const debug = (token: string): Promise<Answer> =>
  call(`/${V}/debug_token`, { input_token: token, access_token: `${APP_ID}|${APP_SECRET}` })

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

t.test('/me requires a valid appsecret_proof and honours fields', async (t) => {
  const token = await tokenFor(flow1)
  const ok = await call(`/${V}/me`, { fields: 'id,client_business_id', access_token: token, ...proof(token) })
  t.equal(ok.status, 200)
  t.same(ok.body, { id: flow1.userId, client_business_id: flow1.businessId })

  const userToken = await tokenFor(flow2)
  t.same((await call(`/${V}/me`, { fields: 'id,client_business_id', access_token: userToken, ...proof(userToken) })).body,
    { id: flow2.userId }, 'a user token has no client_business_id')

  const proofError = { code: 100, type: 'GraphMethodException', message: 'Invalid appsecret_proof provided in the API argument' }
  const wrong = await call(`/${V}/me`, { fields: 'id', access_token: token, ...proof(userToken) })
  t.equal(wrong.status, 400)
  t.match(wrong.body.error, proofError)
  const stale = Math.floor(Date.now() / 1000) - 301
  t.match((await call(`/${V}/me`, { fields: 'id', access_token: token, ...proof(token, stale) })).body.error, proofError)
  t.match((await call(`/${V}/me`, { fields: 'id', access_token: token })).body.error, { code: 100, type: 'GraphMethodException' })

  const unknown = await call(`/${V}/me`, { fields: 'id', access_token: 'EAAzzz', ...proof('EAAzzz') })
  t.match(unknown.body.error, { code: 190, error_subcode: 467 })
  const revoked = await tokenFor({ ...flow1, isValid: false })
  t.match((await call(`/${V}/me`, { access_token: revoked, ...proof(revoked) })).body.error, { code: 190 })
  t.match((await call(`/${V}/me`, { fields: 'id,nope', access_token: token, ...proof(token) })).body.error,
    { code: 100, message: /nonexisting field \(nope\)/ })
})

t.test('/me/accounts and /me/adaccounts page two by two', async (t) => {
  const grant = { ...flow1, pageIds: ['1', '2', '3', '4', '5'], adAccountIds: ['61', '62'], targetIds: false }
  const token = await tokenFor(grant)
  const seen: string[] = []
  let next: string | undefined = `${sim.url}/${V}/me/accounts?${new URLSearchParams({ fields: 'id', access_token: token }).toString()}`
  let pages = 0
  while (next !== undefined) {
    const url: URL = new URL(next)
    t.equal(url.origin, sim.url, 'paging.next is absolute on the simulator')
    for (const [k, v] of Object.entries(proof(token))) url.searchParams.set(k, v)
    const res: Answer = await call(url.pathname, Object.fromEntries(url.searchParams))
    t.equal(res.status, 200)
    seen.push(...res.body.data.map((item: { id: string }) => item.id))
    next = res.body.paging.next
    pages++
  }
  t.same(seen, grant.pageIds)
  t.equal(pages, 3)
  const nexts = sim.callsTo('accounts').map((c) => c.query)
  t.match(nexts[1], { fields: 'id', limit: '2', access_token: token })

  const big = await call(`/${V}/me/accounts`, { limit: '10', access_token: token, ...proof(token) })
  t.equal(big.body.data.length, 5)
  t.notOk(big.body.paging.next)

  const ads = await call(`/${V}/me/adaccounts`, { fields: 'account_id', access_token: token, ...proof(token) })
  t.same(ads.body.data, [{ account_id: '61', id: 'act_61' }, { account_id: '62', id: 'act_62' }])
  t.notOk(ads.body.paging.next, 'no next on the last page')
  t.match((await call(`/${V}/me/adaccounts`, { access_token: token })).body.error, { code: 100 }, 'proof required here too')
})

t.test('asset connection takes a multipart form from the right system user', async (t) => {
  const token = await tokenFor(flow1)
  const path = `/system_accounts/${flow1.userId ?? ''}/asset-connections`
  const form = new FormData()
  form.set('asset_id', '424242')
  const ok = await call(path, {}, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form })
  t.equal(ok.status, 202)
  t.same(ok.body, { success: true })
  t.same(sim.assetConnections, [{ systemUserId: flow1.userId, assetId: '424242' }])
  t.same(sim.callsTo('asset_connections')[0]?.form, { asset_id: '424242' })

  const urlencoded = await call(path, {}, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: new URLSearchParams({ asset_id: '424242' }) })
  t.equal(urlencoded.status, 400)
  t.match(urlencoded.body.error, { code: 100, message: '(#100) The parameter asset_id is required' })
  t.equal(sim.callsTo('asset_connections')[1]?.form, undefined, 'only multipart bodies are recorded as form')
  const asJson = await call(path, {}, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: '{"asset_id":"424242"}' })
  t.match(asJson.body.error, { code: 100, message: '(#100) The parameter asset_id is required' })

  t.match((await call('/system_accounts/123/asset-connections', {}, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form })).body.error,
    { code: 100 }, 'another system user id')
  const userToken = await tokenFor(flow2)
  t.match((await call(`/system_accounts/${flow2.userId ?? ''}/asset-connections`, {}, { method: 'POST', headers: { authorization: `Bearer ${userToken}` }, body: form })).body.error,
    { code: 100 }, 'a user token')
  t.match((await call(path, {}, { method: 'POST', headers: { authorization: 'Bearer EAAnope' }, body: form })).body.error, { code: 190 })
  t.equal((await call(path, {}, { method: 'POST', body: form })).status, 400)
  t.equal((await call(`/${V}${path}`, {}, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form })).status, 404, 'no version segment on this endpoint')
  t.equal(sim.assetConnections.length, 1)
})

t.test('failNext: status, graph error, drop and delay affect only the named endpoint', async (t) => {
  const token = await tokenFor(flow1)
  sim.failNext('debug_token', { status: 500 })
  sim.failNext('debug_token', { status: 400, graphError: { code: 2, is_transient: true }, headers: { 'retry-after': '1' } }, 2)
  const first = await debug(token)
  t.equal(first.status, 500)
  t.equal(first.body, 'Internal Server Error', 'a plain body, not JSON')
  t.equal((await call(`/${V}/me`, { access_token: token, ...proof(token) })).status, 200, 'other endpoints are untouched')
  for (let i = 0; i < 2; i++) {
    const res = await debug(token)
    t.equal(res.status, 400)
    t.match(res.body.error, { code: 2, is_transient: true, type: 'OAuthException', fbtrace_id: String })
    t.equal(res.headers.get('retry-after'), '1')
  }
  t.equal((await debug(token)).body.data.is_valid, true, 'normal again afterwards')

  sim.failNext('me', { drop: true })
  await t.rejects(fetch(`${sim.url}/${V}/me`))

  sim.failNext('me', { delayMs: 2000 })
  const started = Date.now()
  await t.rejects(fetch(`${sim.url}/${V}/me?access_token=${token}`, { signal: AbortSignal.timeout(100) }), { name: 'TimeoutError' })
  t.ok(Date.now() - started < 1000)

  sim.failNext('exchange', { delayMs: 150 })
  const slowStart = Date.now()
  const slow = await exchange(sim.issueCode(flow1))
  t.ok(Date.now() - slowStart >= 140, 'the delay is served')
  t.equal(slow.status, 200, 'then the answer is normal')

  t.same(sim.calls.map((c) => c.endpoint), ['exchange', 'debug_token', 'me', 'debug_token', 'debug_token', 'debug_token', 'me', 'me', 'exchange'],
    'failed and dropped calls are recorded too')
  t.throws(() => { sim.failNext('me', { drop: true }, 0) }, RangeError)
})

t.test('recorded calls, unknown paths and reset', async (t) => {
  const res = await call(`/${V}/debug_token`, { input_token: 'abc', access_token: `${APP_ID}|${APP_SECRET}` }, { headers: { 'x-trace': 'yes' } })
  t.equal(res.status, 200)
  const [recorded] = sim.calls
  t.match(recorded, { endpoint: 'debug_token', method: 'GET', path: `/${V}/debug_token`, query: { input_token: 'abc', access_token: `${APP_ID}|${APP_SECRET}` } })
  t.equal(recorded?.headers['x-trace'], 'yes')
  t.equal(recorded?.form, undefined)

  const unknown = await call('/v26.0/someone/else')
  t.equal(unknown.status, 404)
  t.match(unknown.body.error, { message: /Unknown path components/, code: Number, fbtrace_id: String })
  t.equal((await call('/26.0/me')).status, 404, 'a version must look like vNN.N')
  t.equal((await call(`/${V}/me`, {}, { method: 'POST' })).status, 404)
  t.same(sim.calls.map((c) => c.endpoint), ['debug_token', 'other', 'other', 'other'])

  const token = await tokenFor(flow1)
  sim.failNext('me', { status: 503 })
  sim.reset()
  t.same(sim.calls, [])
  t.equal(sim.tokenInfo(token), undefined, 'tokens are forgotten')
  t.equal((await call(`/${V}/me`, { access_token: token, ...proof(token) })).body.error.code, 190, 'and so are pending failures')
})

t.test('latencyMs delays every answer', async (t) => {
  const slow = new MetaSimulator({ appId: APP_ID, appSecret: APP_SECRET, latencyMs: 120 })
  await slow.start()
  t.teardown(() => slow.close())
  t.throws(() => new MetaSimulator({ appId: 'a', appSecret: 'b' }).url, /not started/)
  const started = Date.now()
  const res = await fetch(`${slow.url}/nowhere`)
  t.equal(res.status, 404)
  t.ok(Date.now() - started >= 110)
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
