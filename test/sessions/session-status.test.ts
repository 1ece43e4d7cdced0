// A session's status as the partner and the browser see it: a pending session reads expired from its
// expires_at on (nothing rewrites the record), and a completed or failed one stays what it is, whatever the time.
import t from 'tap'
import { sessionStatus } from '../../src/sessions/session-status.js'
import type { SessionRecord } from '../../src/store/records.js'

const CREATED = Date.parse('2026-11-24T12:00:00.000Z')
const EXPIRES = CREATED + 3600_000

const session = (over: Partial<SessionRecord> = {}): SessionRecord => ({
  id: 'ses_0123456789abcdef0123456789abcdef',
  flow: 'business_portfolio',
  flows: ['business_portfolio'],
  status: 'pending',
  external_id: null,
  metadata: null,
  return_url: null,
  config_id: '111',
  created_at: new Date(CREATED).toISOString(),
  expires_at: new Date(EXPIRES).toISOString(),
  completed_at: null,
  result: null,
  error: null,
  event_id: null,
  ...over
})

t.test('a pending session is pending before its expiry, expired at and after it', async (t) => {
  const pending = session()
  t.equal(sessionStatus(pending, CREATED), 'pending', 'when created')
  t.equal(sessionStatus(pending, CREATED - 60_000), 'pending', 'with a clock behind the creation')
  t.equal(sessionStatus(pending, EXPIRES - 1), 'pending', 'one millisecond before expires_at')
  t.equal(sessionStatus(pending, EXPIRES), 'expired', 'at expires_at')
  t.equal(sessionStatus(pending, EXPIRES + 1), 'expired', 'one millisecond after')
  t.equal(sessionStatus(pending, EXPIRES + 30 * 86_400_000), 'expired', 'long after')
  t.equal(pending.status, 'pending', 'the record is not rewritten')

  const waiting = session({ flow: null, flows: ['business_portfolio', 'asset_based'], config_id: null })
  t.equal(sessionStatus(waiting, EXPIRES - 1), 'pending', 'a session waiting for its flow: pending before')
  t.equal(sessionStatus(waiting, EXPIRES), 'expired', 'and expired from expires_at on')
})

t.test('a completed or failed session stays as it is, whatever the time', async (t) => {
  const completedAt = new Date(CREATED + 60_000).toISOString()
  const decided: SessionRecord[] = [
    session({ status: 'completed', completed_at: completedAt, event_id: 'evt_0123456789abcdef0123456789abcdef' }),
    session({ status: 'failed', completed_at: completedAt, error: { code: 'user_denied', message: 'The admin cancelled the login' } })
  ]
  for (const s of decided) {
    for (const now of [CREATED, EXPIRES - 1, EXPIRES, EXPIRES + 1, EXPIRES + 30 * 86_400_000]) {
      t.equal(sessionStatus(s, now), s.status, `${s.status} at ${new Date(now).toISOString()}`)
    }
  }
})
