// The flow chooser of SPEC §6, through the real app on a real Redis (and the in-process store where its
// semantics must match): sessions opened with `flows` or without a flow, the chooser page, the choice by
// `?flow=`, its races, and a full onboarding after it.
import t, { type Test } from 'tap'
import type { LightMyRequestResponse } from 'fastify'
import { buildApp } from '../../src/app.js'
import { FLOW_NAMES, type FlowName } from '../../src/flows/flows.js'
import { memoryStores } from '../../src/store/memory/memory-stores.js'
import { auth, Browser, build, CONFIG_IDS, createSession, GRANTS, type Harness } from '../helper.js'

const post = (h: Harness, payload: unknown) =>
  h.app.inject({ method: 'POST', url: '/v1/sessions', headers: auth, payload: payload as any })

const read = async (h: Harness, id: string) => (await h.app.inject({ url: `/v1/sessions/${id}`, headers: auth })).json()

function isProblem (t: Test, res: LightMyRequestResponse, status: number, code: string, field?: string) {
  t.equal(res.statusCode, status, `${status} ${code}`)
  t.match(String(res.headers['content-type']), /^application\/problem\+json/)
  const body = res.json()
  t.equal(body.code, code)
  if (field) t.ok((body.errors ?? []).some((e: { field: string }) => e.field === field), `names ${field}: ${JSON.stringify(body.errors)}`)
  return body
}

/** an HTML error page of the browser routes, with its problem code as the reference */
function isPage (t: Test, res: LightMyRequestResponse, status: number, code: string) {
  t.equal(res.statusCode, status, `${status} page`)
  t.match(String(res.headers['content-type']), /^text\/html/)
  t.match(res.body, `Reference: ${code}`)
  t.equal(res.headers['set-cookie'], undefined, 'no cookie for a page that sends nowhere')
}

/** the flows a chooser page offers, by the links it carries */
const offered = (html: string): string[] => [...html.matchAll(/href="\/login\/ses_[0-9a-f]+\?flow=([a-z_]+)"/g)].map((m) => m[1]!)

const dialogParams = (res: LightMyRequestResponse) => new URL(res.headers.location as string).searchParams

t.test('POST /v1/sessions with flows: the session waits for the admin to choose', async (t) => {
  const h = await build(t)
  const res = await post(h, { flows: ['partner_billing', 'business_portfolio'], external_id: 'tenant-7' })
  t.equal(res.statusCode, 201)
  const s = res.json()
  t.equal(s.flow, null, 'no flow yet')
  t.same(s.flows, ['business_portfolio', 'partner_billing'], 'the allowed flows, in Meta\'s order')
  t.equal(s.config_id, null, 'no configuration ID before a flow is chosen')
  t.equal(s.status, 'pending')
  t.same(await read(h, s.id), s, 'GET answers the same object')

  const all = (await post(h, {})).json()
  t.equal(all.flow, null)
  t.same(all.flows, [...FLOW_NAMES], 'neither flow nor flows: every enabled flow')

  const repeated = (await post(h, { flows: ['asset_based', 'asset_based', 'partner_billing'] })).json()
  t.same(repeated.flows, ['asset_based', 'partner_billing'], 'a flow named twice is allowed once')

  const one = (await post(h, { flows: ['asset_based'] })).json()
  t.equal(one.flow, 'asset_based', 'one allowed flow: the session is created with it')
  t.same(one.flows, ['asset_based'])
  t.equal(one.config_id, CONFIG_IDS.asset_based)

  const fixed = (await post(h, { flow: 'partner_billing' })).json()
  t.same(fixed.flows, ['partner_billing'], 'created with flow: flows is [flow]')
})

t.test('POST /v1/sessions without flow on a service with some flows disabled', async (t) => {
  const h = await build(t, { env: { META_CONFIG_ID_ASSET_BASED: '' } })
  const all = (await post(h, {})).json()
  t.same(all.flows, ['business_portfolio', 'partner_billing'], 'every enabled flow, and only those')
  const body = isProblem(t, await post(h, { flows: ['business_portfolio', 'asset_based'] }), 422, 'flow_disabled')
  t.match(body.detail, 'asset_based')
  isProblem(t, await post(h, { flow: 'asset_based' }), 422, 'flow_disabled')

  const single = await build(t, { env: { META_CONFIG_ID_ASSET_BASED: '', META_CONFIG_ID_PARTNER_BILLING: '' } })
  const s = (await post(single, {})).json()
  t.equal(s.flow, 'business_portfolio', 'a single enabled flow: nothing to choose')
  t.same(s.flows, ['business_portfolio'])
  const login = await new Browser(single.app).get(s.login_url)
  t.equal(login.statusCode, 302, 'and the login goes straight to Meta')
})

t.test('POST /v1/sessions: bad flows are 400 invalid_request naming flows', async (t) => {
  const h = await build(t)
  isProblem(t, await post(h, { flow: 'business_portfolio', flows: ['business_portfolio'] }), 400, 'invalid_request', 'flows')
  isProblem(t, await post(h, { flows: [] }), 400, 'invalid_request', 'flows')
  isProblem(t, await post(h, { flows: ['flow_4'] }), 400, 'invalid_request', 'flows.0')
  isProblem(t, await post(h, { flows: 'business_portfolio' }), 400, 'invalid_request', 'flows')
  isProblem(t, await post(h, { flows: null }), 400, 'invalid_request', 'flows')
  isProblem(t, await post(h, { flows: [1] }), 400, 'invalid_request', 'flows.0')
  t.same(await h.redis.keys(`${h.prefix}session:*`), [], 'nothing was stored')
})

t.test('GET /login/{id} of a session not chosen yet: the chooser page', async (t) => {
  const h = await build(t)
  const s = await createSession(h, { flows: ['asset_based', 'business_portfolio'] })
  const res = await new Browser(h.app).get(s.login_url)
  t.equal(res.statusCode, 200)
  t.match(String(res.headers['content-type']), /^text\/html/)
  t.equal(res.headers['cache-control'], 'no-store')
  t.match(String(res.headers['content-security-policy']), /frame-ancestors 'none'/)
  t.notMatch(String(res.headers['content-security-policy']), /script-src/, 'no script allowed')
  t.equal(res.headers['set-cookie'], undefined, 'no cookie until a flow is chosen')
  t.notMatch(res.body, /<script/i, 'no script')
  t.match(res.body, /<html lang="en">/)
  t.same(offered(res.body), ['business_portfolio', 'asset_based'], 'exactly the allowed flows, in Meta\'s order')
  t.match(res.body, /<h1>Choose how to connect your business<\/h1>/)
  t.equal(res.body.match(/<h2>/g)?.length, 2, 'a heading per flow')
  t.match(res.body, /<strong>Recommended<\/strong> if you are a business portfolio admin/, 'Flow 1 recommended, in words')
  for (const term of ['Suits', 'Permission you need', 'Access the platform gets', 'Ad account billed for messages']) {
    t.equal(res.body.split(`<dt>${term}</dt>`).length - 1, 2, `each flow says: ${term}`)
  }
  t.match(res.body, 'Continue with Flow 2: Asset-based', 'links say where they lead')
  t.match(res.body, /expires after about 60 days/)
  t.equal((await read(h, s.id)).flow, null, 'showing the page chose nothing')

  const noFlow1 = await createSession(h, { flows: ['asset_based', 'partner_billing'] })
  const page = await new Browser(h.app).get(noFlow1.login_url)
  t.same(offered(page.body), ['asset_based', 'partner_billing'])
  t.notMatch(page.body, /Recommended/, 'no recommendation when Flow 1 is not offered')
  t.match(page.body, /You do not need an ad account/, 'Flow 3 says who pays')
})

t.test('choosing a flow fixes it and continues to Meta exactly as a session created with it', async (t) => {
  const h = await build(t)
  for (const flow of FLOW_NAMES) {
    const s = await createSession(h, {})
    const browser = new Browser(h.app)
    const res = await browser.get(`/login/${s.id}?flow=${flow}`)
    t.equal(res.statusCode, 302, `${flow}: redirect`)
    const params = dialogParams(res)
    t.equal(params.get('config_id'), CONFIG_IDS[flow], `${flow}: its configuration ID`)
    t.equal(params.get('response_type'), 'code')
    t.equal(params.get('override_default_response_type'), flow === 'asset_based' ? null : 'true', `${flow}: override only for system-user flows`)
    t.equal(params.get('redirect_uri'), 'https://onboard.example.com/oauth/callback')
    t.ok(browser.cookies.size > 0, 'the browser-binding cookie is set')
    const after = await read(h, s.id)
    t.equal(after.flow, flow, 'the session now has the chosen flow')
    t.equal(after.config_id, CONFIG_IDS[flow])
    t.same(after.flows, [...FLOW_NAMES], 'flows stays what was allowed')
  }
  const metrics = (await h.app.inject({ url: '/metrics' })).body
  t.match(metrics, /onboarding_flow_choices_total\{outcome="offered",flow=""\} 3/)
  t.match(metrics, /onboarding_flow_choices_total\{outcome="chosen",flow="asset_based"\} 1/)
  t.match(metrics, /onboarding_sessions_total\{flow="partner_billing",outcome="created",error=""\} 1/, 'created counted once its flow is known')
})

t.test('?flow= that the session does not allow, or a second different choice: 409 page', async (t) => {
  const h = await build(t)
  const s = await createSession(h, { flows: ['business_portfolio', 'asset_based'] })
  const browser = new Browser(h.app)
  isPage(t, await browser.get(`/login/${s.id}?flow=partner_billing`), 409, 'flow_not_offered')
  isPage(t, await browser.get(`/login/${s.id}?flow=flow_4`), 409, 'flow_not_offered')
  isPage(t, await browser.get(`/login/${s.id}?flow=`), 409, 'flow_not_offered')
  t.equal((await read(h, s.id)).flow, null, 'a refused choice changes nothing')
  const tooLong = await browser.get(`/login/${s.id}?flow=${'x'.repeat(65)}`)
  t.equal(tooLong.statusCode, 400, 'an oversized value is refused as invalid')
  t.match(String(tooLong.headers['content-type']), /^text\/html/)

  t.equal((await browser.get(`/login/${s.id}?flow=asset_based`)).statusCode, 302, 'the first choice')
  isPage(t, await browser.get(`/login/${s.id}?flow=business_portfolio`), 409, 'flow_already_chosen')
  const again = await browser.get(`/login/${s.id}?flow=asset_based`)
  t.equal(again.statusCode, 302, 'naming the chosen flow again is a plain visit')
  t.equal(dialogParams(again).get('config_id'), CONFIG_IDS.asset_based)
  const plain = await browser.get(`/login/${s.id}`)
  t.equal(plain.statusCode, 302, 'and so is no flow at all, once chosen')
  t.not(dialogParams(plain).get('state'), dialogParams(again).get('state'), 'each visit a new state')
  t.equal((await read(h, s.id)).flow, 'asset_based', 'the first choice stands')

  const fixed = await createSession(h, { flow: 'partner_billing' })
  const same = await browser.get(`/login/${fixed.id}?flow=partner_billing`)
  t.equal(same.statusCode, 302, 'created with flow: naming it is a plain visit')
  isPage(t, await browser.get(`/login/${fixed.id}?flow=business_portfolio`), 409, 'flow_not_offered')
})

t.test('a completed, expired or unknown session answers as before, whatever ?flow= says', async (t) => {
  let now = Date.now()
  const h = await build(t, { env: { SESSION_TTL_SECONDS: '60' }, deps: { now: () => now } })
  const done = await createSession(h, {})
  const browser = new Browser(h.app)
  const login = await browser.get(`/login/${done.id}?flow=business_portfolio`)
  await browser.get(h.sim.approve(login.headers.location as string, GRANTS.business_portfolio))
  t.equal((await read(h, done.id)).status, 'completed')
  isPage(t, await browser.get(`/login/${done.id}?flow=business_portfolio`), 409, 'session_not_pending')
  isPage(t, await browser.get(`/login/${done.id}?flow=asset_based`), 409, 'session_not_pending')
  isPage(t, await browser.get(`/login/${done.id}`), 409, 'session_not_pending')

  const waiting = await createSession(h, {})
  now += 61_000
  isPage(t, await browser.get(`/login/${waiting.id}`), 409, 'session_not_pending')
  isPage(t, await browser.get(`/login/${waiting.id}?flow=asset_based`), 409, 'session_not_pending')
  t.equal((await read(h, waiting.id)).flow, null, 'an expired session is not chosen')

  isPage(t, await browser.get(`/login/ses_${'0'.repeat(32)}?flow=asset_based`), 404, 'session_not_found')
})

t.test('POST /v1/sessions/{id}/code before the flow is chosen: 409 flow_not_chosen', async (t) => {
  const h = await build(t)
  const s = await createSession(h, {})
  const code = h.sim.issueCode(GRANTS.asset_based)
  const submit = () => h.app.inject({ method: 'POST', url: `/v1/sessions/${s.id}/code`, headers: auth, payload: { code } })
  isProblem(t, await submit(), 409, 'flow_not_chosen')
  t.equal(h.sim.callsTo('exchange').length, 0, 'Meta was not called')
  await new Browser(h.app).get(`/login/${s.id}?flow=asset_based`)
  const res = await submit()
  t.equal(res.statusCode, 200, 'once chosen, the code is taken')
  t.equal(res.json().status, 'completed')
  t.equal(res.json().flow, 'asset_based')
  const [event] = await h.receiver.waitFor((e) => e.length === 1)
  t.equal(event!.body.data.flow, 'asset_based')
})

/** two browsers choose different flows of one session at the same moment */
async function race (t: Test, h: Harness, rounds: number) {
  for (let i = 0; i < rounds; i++) {
    const s = await createSession(h, {})
    const [a, b] = await Promise.all([
      new Browser(h.app).get(`/login/${s.id}?flow=business_portfolio`),
      new Browser(h.app).get(`/login/${s.id}?flow=partner_billing`)
    ])
    const statuses = [a.statusCode, b.statusCode].sort()
    if (statuses[0] !== 302 || statuses[1] !== 409) t.fail(`round ${i}: ${statuses.join(', ')}`)
    const winner = a.statusCode === 302 ? 'business_portfolio' : 'partner_billing'
    const loser = a.statusCode === 302 ? b : a
    t.match(loser.body, 'flow_already_chosen', `round ${i}: the other gets the 409 page`)
    t.equal((await read(h, s.id)).flow, winner, `round ${i}: the session has the winner's flow`)
  }
}

t.test('concurrent choices on Redis: exactly one wins', async (t) => {
  await race(t, await build(t), 15)
})

t.test('concurrent choices on the in-process store: exactly one wins', async (t) => {
  await race(t, await build(t, { memory: true }), 5)
})

t.test('the in-process store fixes a flow once and keeps the session\'s expiry', async (t) => {
  let now = 1_000_000
  const stores = memoryStores(() => now)
  t.teardown(() => stores.close())
  const store = stores.sessions
  t.same(await store.chooseFlow('ses_x', 'asset_based', '222'), { status: 'missing' })
  const session = { id: 'ses_x', flow: null, flows: ['asset_based' as FlowName, 'partner_billing' as FlowName], status: 'pending' as const, external_id: null, metadata: null, return_url: null, config_id: null, created_at: new Date(now).toISOString(), expires_at: new Date(now + 1000).toISOString(), completed_at: null, result: null, error: null, event_id: null }
  await store.createSession(session, 10)
  t.same(await store.takeExpiredSessions(now + 2000, 10), [], 'not in the expiry index before a flow is chosen')
  const chosen = await store.chooseFlow('ses_x', 'partner_billing', '333')
  t.equal(chosen.status, 'chosen')
  const again = await store.chooseFlow('ses_x', 'asset_based', '222')
  t.equal(again.status, 'already_chosen')
  t.equal(again.status !== 'missing' && again.session.flow, 'partner_billing')
  now += 9_000
  t.equal((await store.getSession('ses_x'))?.flow, 'partner_billing')
  t.same(await store.takeExpiredSessions(now, 10), ['partner_billing'], 'counted as expired under its flow')
  now += 1_001
  t.equal(await store.getSession('ses_x'), null, 'the choice did not extend the record\'s lifetime')
})

t.test('Redis: a choice keeps the session\'s TTL; a session written before the chooser reads flows [flow]', async (t) => {
  const h = await build(t)
  const s = await createSession(h, {})
  const key = `${h.prefix}session:${s.id}`
  const before = await h.redis.pttl(key)
  await new Browser(h.app).get(`/login/${s.id}?flow=business_portfolio`)
  const after = await h.redis.pttl(key)
  t.ok(after > 0 && after <= before, `TTL kept (${before} → ${after} ms)`)
  t.equal(await h.redis.zscore(`${h.prefix}sessions:expiries`, `business_portfolio:${s.id}`), String(Date.parse(s.expires_at)), 'in the expiry index under its flow')

  const legacy = JSON.parse((await h.redis.get(key))!)
  delete legacy.flows
  await h.redis.set(key, JSON.stringify(legacy), 'KEEPTTL')
  const view = await read(h, s.id)
  t.same(view.flows, ['business_portfolio'], 'flows derived from flow')
  t.equal((await new Browser(h.app).get(`/login/${s.id}?flow=asset_based`)).statusCode, 409)
})

t.test('a flow disabled after the session was opened is no longer offered', async (t) => {
  const h = await build(t)
  const s = await createSession(h, { flows: ['business_portfolio', 'partner_billing'] })
  const only = await createSession(h, { flows: ['asset_based', 'partner_billing'] })
  // the same sessions, read by an instance restarted with fewer flows
  const config = { ...h.config, meta: { ...h.config.meta, configIds: { business_portfolio: CONFIG_IDS.business_portfolio } } }
  const restarted = await buildApp(config, { redis: h.redis, redisKeyPrefix: h.prefix })
  t.teardown(() => restarted.close())
  const browser = new Browser(restarted)
  const page = await browser.get(s.login_url)
  t.same(offered(page.body), ['business_portfolio'])
  t.match(page.body, /There is one way/)
  isPage(t, await browser.get(`/login/${s.id}?flow=partner_billing`), 409, 'flow_not_offered')
  isPage(t, await browser.get(only.login_url), 409, 'flow_not_offered')
})

t.test('a full onboarding through the chooser ends with the chosen flow\'s webhook', async (t) => {
  const h = await build(t)
  for (const flow of FLOW_NAMES) {
    const s = await createSession(h, { external_id: `tenant-${flow}` })
    const browser = new Browser(h.app)
    const page = await browser.get(s.login_url)
    t.equal(page.statusCode, 200, 'the chooser first')
    const link = /href="([^"]+)"/.exec(page.body.slice(page.body.indexOf(`id="flow-${flow}"`)))![1]!
    const login = await browser.get(link.replace(/&amp;/g, '&'))
    t.equal(login.statusCode, 302)
    const callback = await browser.get(h.sim.approve(login.headers.location as string, GRANTS[flow]))
    t.equal(callback.statusCode, 200, `${flow}: outcome page`)
    t.match(callback.body, 'Your business is connected')
    const events = await h.receiver.waitFor((e) => e.some((x) => x.body.data.session_id === s.id))
    const event = events.find((x) => x.body.data.session_id === s.id)!
    t.equal(event.type, 'onboarding.completed')
    t.equal(event.body.data.flow, flow, `${flow}: the webhook names the chosen flow`)
    t.equal(event.body.data.external_id, `tenant-${flow}`)
    const final = await read(h, s.id)
    t.equal(final.status, 'completed')
    t.equal(final.flow, flow)
  }
  t.equal(h.receiver.rejected.length, 0, 'every webhook verified')
})
