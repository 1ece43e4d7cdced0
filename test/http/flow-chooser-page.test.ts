// The flow chooser as the browser meets it (the real app on a real Redis): the chooser page offers exactly the
// allowed flows, without script or cookie; `?flow=` fixes the choice once and continues to Meta as a session
// created with that flow would; a flow not offered or a second, different choice is a 409 page; a decided,
// expired or unknown session answers as it would without the chooser; a full onboarding ends with the chosen
// flow's webhook.
import t, { type Test } from 'tap'
import type { LightMyRequestResponse } from 'fastify'
import { buildApp } from '../../src/app.js'
import { FLOW_NAMES } from '../../src/flows/flows.js'
import { Browser, build, CONFIG_IDS, createSession, GRANTS } from '../helper.js'
import { read } from './flow-chooser-fixtures.js'

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
