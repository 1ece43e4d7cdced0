// settleWithin bounds every wait on something the service does not control: it must answer by the bound, say
// whether the operation settled, absorb a rejection, and leave no timer behind.
import t from 'tap'
import { settleWithin } from '../../src/lib/settle-within.js'

const after = <T>(ms: number, value: T, fail = false): Promise<T> =>
  new Promise((resolve, reject) => setTimeout(() => (fail ? reject(new Error('late failure')) : resolve(value)), ms))

t.test('true when the operation resolves within the bound', async (t) => {
  t.equal(await settleWithin(after(5, 'x'), 1000), true)
  t.equal(await settleWithin(Promise.resolve(), 0), true, 'an operation already settled wins over a zero bound')
})

t.test('true when it rejects within the bound, and the rejection goes no further', async (t) => {
  t.equal(await settleWithin(Promise.reject(new Error('refused')), 1000), true)
})

t.test('false at the bound when the operation is slower, without waiting for it', async (t) => {
  const started = performance.now()
  t.equal(await settleWithin(after(2000, 'x'), 30), false)
  const waited = performance.now() - started
  t.ok(waited >= 25 && waited < 1000, `answered after ${Math.round(waited)} ms`)
})

t.test('false for an operation that never settles, and a late rejection is absorbed', async (t) => {
  t.equal(await settleWithin(new Promise(() => {}), 10), false)
  const late = after(20, 'x', true)
  t.equal(await settleWithin(late, 5), false)
  // an unhandled rejection would fail the test run; waiting past it proves it was handled
  await new Promise((resolve) => setTimeout(resolve, 40))
})

t.test('the timer is cleared once the operation settles', async (t) => {
  const before = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length
  await settleWithin(Promise.resolve(), 60_000)
  const left = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length
  t.equal(left, before, 'no timer left running')
})
