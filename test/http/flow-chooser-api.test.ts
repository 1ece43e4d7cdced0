// The flow chooser through the partner API (the real app on a real Redis): a session opened with `flows`, or
// without a flow, waits for the admin to choose among the allowed and enabled flows; a single one is chosen at
// once; bad `flows` are 400 naming the field; a code submitted before the choice is 409 flow_not_chosen.
import t, { type Test } from 'tap'
import type { LightMyRequestResponse } from 'fastify'
import { FLOW_NAMES } from '../../src/flows/flows.js'
import { auth, Browser, build, CONFIG_IDS, createSession, GRANTS, type Harness } from '../helper.js'
import { read } from './flow-chooser-fixtures.js'

const post = (h: Harness, payload: unknown) =>
  h.app.inject({ method: 'POST', url: '/v1/sessions', headers: auth, payload: payload as any })

function isProblem (t: Test, res: LightMyRequestResponse, status: number, code: string, field?: string) {
  t.equal(res.statusCode, status, `${status} ${code}`)
  t.match(String(res.headers['content-type']), /^application\/problem\+json/)
  const body = res.json()
  t.equal(body.code, code)
  if (field) t.ok((body.errors ?? []).some((e: { field: string }) => e.field === field), `names ${field}: ${JSON.stringify(body.errors)}`)
  return body
}

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
