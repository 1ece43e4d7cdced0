// Reading a session through the partner API (app.inject): an unknown or malformed id is 404 session_not_found,
// and a pending session reads expired from its expires_at on, and then takes no code.
import t from 'tap'
import { auth, build, createSession, GRANTS } from '../helper.js'
import { call, checkSeenResponses, isProblem, UNKNOWN_ID } from './partner-api-fixtures.js'

t.test('GET /v1/sessions/{id}: unknown or malformed ids are 404 session_not_found', async (t) => {
  const h = await build(t)
  const ids = [
    UNKNOWN_ID,
    'ses_' + 'f'.repeat(32),
    'ses_XYZ',
    'abc',
    'ses_' + '0'.repeat(31) + 'G',
    'SES_' + '0'.repeat(32),
    encodeURIComponent('ses_../../x'),
    '%00',
    'x'.repeat(100),
    'x'.repeat(300)
  ]
  for (const id of ids) {
    await t.test(`id ${id.length > 40 ? `of ${id.length} characters` : JSON.stringify(id)}`, async (t) => {
      isProblem(t, await call(h, { url: `/v1/sessions/${id}`, headers: auth }), 404, 'session_not_found')
    })
  }
})

t.test('GET /v1/sessions/{id}: a pending session past expires_at reads expired', async (t) => {
  let fakeNow = Date.parse('2026-11-24T12:00:00.000Z')
  const h = await build(t, { env: { SESSION_TTL_SECONDS: '60' }, deps: { now: () => fakeNow } })
  const s = await createSession(h, { flow: 'business_portfolio' })
  t.equal(s.created_at, '2026-11-24T12:00:00.000Z', 'created_at comes from the clock')
  t.equal(s.expires_at, '2026-11-24T12:01:00.000Z', 'expires_at = created_at + SESSION_TTL_SECONDS')
  const read = async () => (await call(h, { url: `/v1/sessions/${s.id}`, headers: auth })).json()

  fakeNow += 59_999
  t.equal((await read()).status, 'pending', 'one millisecond before expires_at')
  fakeNow += 1
  t.equal((await read()).status, 'expired', 'at expires_at')
  fakeNow += 3600_000
  const later = await read()
  t.equal(later.status, 'expired')
  t.equal(later.completed_at, null)
  t.equal(later.delivery, null, 'no webhook for expiry')

  // and an expired session takes no code
  const code = h.sim.issueCode(GRANTS.business_portfolio)
  isProblem(t, await call(h, { method: 'POST', url: `/v1/sessions/${s.id}/code`, headers: auth, payload: { code } }), 409, 'session_not_pending')
  t.equal(h.sim.callsTo('exchange').length, 0, 'Meta was not called')
  t.equal(h.receiver.events.length, 0)
})

t.test('no response of this file carried an API key, and every one carried nosniff', async (t) => {
  checkSeenResponses(t, 10)
})
