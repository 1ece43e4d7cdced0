// Submitting the code of the JS SDK login (POST /v1/sessions/{id}/code, app.inject): bad bodies and unknown
// sessions are refused before Meta is called; a good code completes the session, answers the session object
// without the code or the token, and sends exactly one webhook.
import t from 'tap'
import { auth, build, createSession, GRANTS } from '../helper.js'
import { call, checkSeenResponses, isProblem, postRaw, SESSION_KEYS, UNKNOWN_ID } from './partner-api-fixtures.js'

t.test('POST /v1/sessions/{id}/code: bad bodies and unknown sessions', async (t) => {
  const h = await build(t)
  const s = await createSession(h, { flow: 'business_portfolio' })
  const url = `/v1/sessions/${s.id}/code`
  const postCode = (payload: unknown) => call(h, { method: 'POST', url, headers: auth, payload: payload as any })
  isProblem(t, await postCode({}), 400, 'invalid_request', 'code')
  isProblem(t, await postCode({ code: '' }), 400, 'invalid_request', 'code')
  isProblem(t, await postCode({ code: 'c'.repeat(2049) }), 400, 'invalid_request', 'code')
  isProblem(t, await postCode({ code: 42 }), 400, 'invalid_request', 'code')
  isProblem(t, await postCode({ code: 'abc', state: 'x' }), 400, 'invalid_request', 'state')
  isProblem(t, await postRaw(h, url, '{"code":', 'application/json'), 400, 'invalid_request')
  isProblem(t, await postRaw(h, url, 'code=abc', 'application/x-www-form-urlencoded'), 415, 'unsupported_media_type')
  isProblem(t, await call(h, { method: 'POST', url: `/v1/sessions/${UNKNOWN_ID}/code`, headers: auth, payload: { code: 'abc' } }), 404, 'session_not_found')
  isProblem(t, await call(h, { method: 'POST', url: '/v1/sessions/ses_nope/code', headers: auth, payload: { code: 'abc' } }), 404, 'session_not_found')
  isProblem(t, await call(h, { method: 'POST', url: `/v1/sessions/${'x'.repeat(100)}/code`, headers: auth, payload: { code: 'abc' } }), 404, 'session_not_found')
  t.equal(h.sim.calls.length, 0, 'no bad request reached Meta')
  const after = (await call(h, { url: `/v1/sessions/${s.id}`, headers: auth })).json()
  t.equal(after.status, 'pending', 'the session is untouched')

  // a code Meta rejects still decides the session: it fails with code_exchange_failed, without the code in the answer
  const res = await postCode({ code: 'AQ-not-a-code-Meta-issued' })
  t.equal(res.statusCode, 200)
  t.equal(res.json().status, 'failed')
  t.equal(res.json().error.code, 'code_exchange_failed')
  t.notMatch(res.body, 'AQ-not-a-code-Meta-issued', 'the code is not echoed')
})

t.test('POST /v1/sessions/{id}/code: the JS SDK path end to end', async (t) => {
  const h = await build(t)
  const s = await createSession(h, { flow: 'business_portfolio', external_id: 'tenant-7', metadata: { plan: 'pro' } })
  const code = h.sim.issueCode(GRANTS.business_portfolio)
  const res = await call(h, { method: 'POST', url: `/v1/sessions/${s.id}/code`, headers: auth, payload: { code } })
  t.equal(res.statusCode, 200)
  t.match(String(res.headers['content-type']), /^application\/json/)
  const view = res.json()
  t.same(Object.keys(view).sort(), SESSION_KEYS)
  t.equal(view.id, s.id)
  t.equal(view.status, 'completed')
  t.ok(Date.parse(view.completed_at) >= Date.parse(view.created_at), 'completed_at set')
  t.equal(view.error, null)
  t.same(view.result, {
    business_id: '1234567890',
    system_user_id: '61550000000001',
    user_id: null,
    page_ids: ['99', '1122334455'],
    ad_account_ids: ['act_5566778899'],
    billing_ad_account_id: 'act_5566778899',
    token_type: 'system_user',
    token_expires_at: null,
    scopes: ['ads_management', 'pages_messaging', 'paid_marketing_messages', 'public_profile']
  })
  t.match(view.delivery, { event_id: /^evt_[0-9a-f]{32}$/, status: /^(pending|delivered)$/ })
  t.notMatch(res.body, code, 'the code is not in the answer')
  t.notMatch(res.body, /EAA[A-Za-z0-9]{20,}/, 'no token-looking value in the answer')

  t.equal(h.sim.callsTo('exchange').length, 1)
  t.equal(h.sim.callsTo('exchange')[0]!.query.redirect_uri, undefined, 'the exchange carries no redirect_uri')

  const [event] = await h.receiver.waitFor((e) => e.length >= 1)
  t.equal(h.receiver.rejected.length, 0, 'the webhook verifies')
  t.equal(event!.id, view.delivery.event_id)
  t.equal(event!.type, 'onboarding.completed')
  t.equal(event!.body.data.session_id, s.id)
  t.equal(event!.body.data.external_id, 'tenant-7')
  t.same(event!.body.data.metadata, { plan: 'pro' })
  const token = event!.body.data.access_token as string
  t.match(token, /^EAA/)
  t.notMatch(res.body, token, 'the token is not in the /code answer')
  const read = await call(h, { url: `/v1/sessions/${s.id}`, headers: auth })
  t.notMatch(read.body, token, 'nor in the session object')
  t.equal(read.json().status, 'completed')

  // a second code for the same session: the session is no longer pending
  const again = await call(h, { method: 'POST', url: `/v1/sessions/${s.id}/code`, headers: auth, payload: { code: h.sim.issueCode(GRANTS.business_portfolio) } })
  isProblem(t, again, 409, 'session_not_pending')
  t.equal(h.sim.callsTo('exchange').length, 1, 'Meta was not called again')
  await new Promise((resolve) => setTimeout(resolve, 50))
  t.equal(h.receiver.events.filter((e) => e.type.startsWith('onboarding.')).length, 1, 'one event per session')
})

t.test('no response of this file carried an API key, and every one carried nosniff', async (t) => {
  checkSeenResponses(t, 10)
})
