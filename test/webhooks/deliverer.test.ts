// The delay before a webhook's next attempt: never earlier than the retry schedule or the receiver's
// Retry-After, at most 10% later so that retries spread, in whole milliseconds.
import t from 'tap'
import { nextDelay } from '../../src/webhooks/deliverer.js'

t.test('nextDelay', async (t) => {
  t.equal(nextDelay(5000, 0, () => 0), 5000, 'no jitter: the schedule')
  t.equal(nextDelay(5000, undefined, () => 0), 5000)
  t.equal(nextDelay(5000, 0, () => 1), 5500, 'at most 10% later')
  t.equal(nextDelay(5000, 0, () => 0.5), 5250)
  t.equal(nextDelay(5000, 60_000, () => 0), 60_000, 'a longer Retry-After wins')
  t.equal(nextDelay(5000, 60_000, () => 1), 66_000)
  t.equal(nextDelay(5000, 1000, () => 0), 5000, 'a shorter Retry-After does not shorten the schedule')
  t.equal(nextDelay(0, 0, () => 0.7), 0)

  for (const [scheduled, retryAfter] of [[50, 0], [5000, 0], [300_000, 120_000], [5000, 7_200_000], [36_000_000, 0], [1, 3]]) {
    const base = Math.max(scheduled!, retryAfter!)
    let low = Infinity
    let high = -Infinity
    let whole = true
    for (let i = 0; i < 2000; i++) {
      const d = nextDelay(scheduled!, retryAfter)
      low = Math.min(low, d)
      high = Math.max(high, d)
      whole &&= Number.isInteger(d)
    }
    t.ok(whole, 'whole milliseconds')
    t.ok(low >= base, `${scheduled}/${retryAfter}: never below ${base} (lowest ${low})`)
    t.ok(high <= Math.round(base * 1.1), `${scheduled}/${retryAfter}: at most +10% (highest ${high})`)
    if (base >= 1000) t.ok(high > low, 'the delays spread')
  }
})
