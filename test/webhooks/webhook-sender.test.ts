// Retry-After as a receiver sends it: seconds or an HTTP date, read as a delay in milliseconds; anything
// unreadable is no delay at all, never a negative one.
import t from 'tap'
import { parseRetryAfter } from '../../src/webhooks/webhook-sender.js'

t.test('parseRetryAfter', async (t) => {
  const now = Date.parse('2026-11-24T12:00:00.000Z')
  t.equal(parseRetryAfter('120', now), 120_000, 'seconds')
  t.equal(parseRetryAfter('0', now), 0)
  t.equal(parseRetryAfter(' 7 ', now), 7000, 'with spaces')
  t.equal(parseRetryAfter(['9', '30'], now), 9000, 'the first of several headers')
  t.equal(parseRetryAfter(new Date(now + 90_000).toUTCString(), now), 90_000, 'an HTTP date')
  t.equal(parseRetryAfter('Tue, 24 Nov 2026 12:05:00 GMT', now), 300_000)
  t.equal(parseRetryAfter('Tue, 24 Nov 2026 11:00:00 GMT', now), 0, 'a date in the past: now')
  for (const junk of ['soon', 'in a minute', '', '   ', 'NaN']) t.equal(parseRetryAfter(junk, now), undefined, `junk ${JSON.stringify(junk)}`)
  t.equal(parseRetryAfter(undefined, now), undefined)
  t.equal(parseRetryAfter([], now), undefined)
  for (const junk of ['-5', '1.5', '5s', '+3']) {
    const ms = parseRetryAfter(junk, now)
    t.ok(ms === undefined || ms === 0, `${JSON.stringify(junk)} never delays (${ms})`)
  }
})
