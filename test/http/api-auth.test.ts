// Who may call the partner API (app.inject): only `Authorization: Bearer` with one of PARTNER_API_KEYS, the
// scheme in any case; anything else is 401 with WWW-Authenticate and never echoes a key. An unknown route
// under /v1 is 404 not_found as problem+json.
import t from 'tap'
import { API_KEY, auth, build, createSession } from '../helper.js'
import { call, checkSeenResponses, isProblem, post, UNKNOWN_ID } from './partner-api-fixtures.js'

t.test('authentication', async (t) => {
  const h = await build(t)
  const s = await createSession(h, { flow: 'business_portfolio' })
  const wrongLast = API_KEY.slice(0, -1) + (API_KEY.endsWith('v') ? 'w' : 'v')
  const refused: Array<[string, Record<string, string>]> = [
    ['no Authorization header', {}],
    ['Basic', { authorization: 'Basic ' + Buffer.from(`user:${API_KEY}`).toString('base64') }],
    ['the key without a scheme', { authorization: API_KEY }],
    ['Bearer with a wrong key', { authorization: 'Bearer pk_test_wrongwrongwrongwrongwrongwrongwrong' }],
    ['a key differing in its last character', { authorization: `Bearer ${wrongLast}` }],
    ['a prefix of the key', { authorization: `Bearer ${API_KEY.slice(0, -1)}` }],
    ['the key with a suffix', { authorization: `Bearer ${API_KEY}x` }],
    ['Bearer without a key', { authorization: 'Bearer ' }],
    ['Bearer with two tokens', { authorization: `Bearer ${API_KEY} ${API_KEY}` }]
  ]
  for (const [name, headers] of refused) {
    await t.test(name, async (t) => {
      for (const req of [
        { method: 'GET' as const, url: `/v1/sessions/${s.id}` },
        { method: 'POST' as const, url: '/v1/sessions', payload: { flow: 'business_portfolio' } },
        { method: 'POST' as const, url: `/v1/sessions/${s.id}/code`, payload: { code: 'abc' } }
      ]) {
        const res = await call(h, { ...req, headers })
        isProblem(t, res, 401, 'unauthorized')
        t.match(String(res.headers['www-authenticate']), /^Bearer\b/, 'WWW-Authenticate: Bearer')
        t.notMatch(res.body, API_KEY)
        t.notMatch(JSON.stringify(res.headers), API_KEY)
      }
    })
  }
  t.equal(h.sim.calls.length, 0, 'nothing unauthenticated reached Meta')

  // RFC 7235: the auth scheme is case-insensitive
  for (const scheme of ['bearer', 'BEARER', 'Bearer']) {
    const res = await call(h, { url: `/v1/sessions/${s.id}`, headers: { authorization: `${scheme} ${API_KEY}` } })
    t.equal(res.statusCode, 200, `scheme ${scheme} with the right key is accepted`)
  }
})

t.test('authentication: every key of PARTNER_API_KEYS is accepted', async (t) => {
  const k1 = 'k1_' + 'a'.repeat(40)
  const k2 = 'k2_' + 'b'.repeat(40)
  const h = await build(t, { env: { PARTNER_API_KEYS: `${k1},${k2}` } })
  const r1 = await post(h, { flow: 'business_portfolio' }, { authorization: `Bearer ${k1}` })
  t.equal(r1.statusCode, 201, 'the first key')
  const r2 = await call(h, { url: `/v1/sessions/${r1.json().id}`, headers: { authorization: `Bearer ${k2}` } })
  t.equal(r2.statusCode, 200, 'the second key')
  const both = await call(h, { url: `/v1/sessions/${r1.json().id}`, headers: { authorization: `Bearer ${k1},${k2}` } })
  isProblem(t, both, 401, 'unauthorized')
  isProblem(t, await call(h, { url: `/v1/sessions/${r1.json().id}`, headers: auth }), 401, 'unauthorized')
  for (const res of [r1, r2, both]) {
    t.notMatch(res.body, k1)
    t.notMatch(res.body, k2)
  }
})

t.test('unknown routes under /v1 are 404 not_found problem+json', async (t) => {
  const h = await build(t)
  isProblem(t, await call(h, { url: '/v1/nope', headers: auth }), 404, 'not_found')
  isProblem(t, await call(h, { url: '/v1/sessions/ses_x/other', headers: auth }), 404, 'not_found')
  isProblem(t, await call(h, { method: 'DELETE', url: `/v1/sessions/${UNKNOWN_ID}`, headers: auth }), 404, 'not_found')
  isProblem(t, await call(h, { url: '/v1/nope' }), 404, 'not_found')
  const healthz = await call(h, { url: '/healthz' })
  t.equal(healthz.headers['x-content-type-options'], 'nosniff', 'every response, not only /v1')
})

t.test('no response of this file carried an API key, and every one carried nosniff', async (t) => {
  checkSeenResponses(t, 30)
})
