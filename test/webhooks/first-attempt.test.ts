// The first attempt of an event is made by the instance that decided it, without a queue job; only retries
// go to BullMQ. What must hold: no job for an event acknowledged at once, a retry queued with its delay,
// nothing doubled by the outbox sweep while an attempt is in flight, and nothing lost when an instance is
// too busy or closing.
import t from 'tap'
import type { FastifyBaseLogger } from 'fastify'
import { build, GRANTS, onboard, type Harness } from '../helper.js'
import { FirstAttemptQueue } from '../../src/webhooks/first-attempt-queue.js'
import type { JobQueue, NextStep } from '../../src/jobs/job-queue.js'
import type { DeliveryRecord } from '../../src/store/records.js'

/** BullMQ keeps each job in a hash named after its ID */
const jobKeys = (h: Harness) => h.redis.keys(`${h.prefix}bull:webhooks:evt_*`)

t.test('an event acknowledged at once never becomes a queue job', async (t) => {
  const h = await build(t)
  await onboard(h, 'business_portfolio', GRANTS.business_portfolio)
  await onboard(h, 'asset_based', GRANTS.asset_based)
  const events = await h.receiver.waitFor((e) => e.length >= 2)
  t.same(events.map((e) => e.attempt), [1, 1])
  t.same(await jobKeys(h), [], 'no BullMQ job was created')
  const line = h.logs.lines.map((l) => JSON.parse(l)).find((l) => l.msg === 'webhook attempt')
  t.match(line, { event_id: events[0]!.id, attempt: 1, outcome: 'delivered' }, 'the attempt is logged like any other')
})

t.test('a first attempt that fails is retried through the queue, after its delay', async (t) => {
  const h = await build(t)
  h.receiver.plan.push(503)
  await onboard(h, 'business_portfolio', GRANTS.business_portfolio)
  const events = await h.receiver.waitFor((e) => e.length >= 2)
  t.same(events.map((e) => e.attempt), [1, 2])
  t.equal(events[0]!.id, events[1]!.id)
  for (let i = 0; i < 50 && (await jobKeys(h)).length > 0; i++) await new Promise((resolve) => setTimeout(resolve, 20))
  t.same(await jobKeys(h), [], 'the retry job is removed once delivered')
})

const quietLog = { warn () {}, info () {}, error () {} } as unknown as FastifyBaseLogger
const record = (id: string): DeliveryRecord => ({ id, type: 'onboarding.completed', session_id: 'ses_x', status: 'pending', attempts: 0, last_error: null, created_at: '', updated_at: '' })

class RecordingQueue implements JobQueue {
  added: Array<[string, number]> = []
  closedWith: number | undefined
  failAdds = false
  async add (eventId: string, delayMs = 0) {
    if (this.failAdds) throw new Error('redis down')
    this.added.push([eventId, delayMs])
  }

  async held (ids: readonly string[]) { return new Set(ids.filter((eventId) => this.added.some(([id]) => id === eventId))) }
  async close (timeoutMs: number) { this.closedWith = timeoutMs }
  health () { return { status: 'ok' as const, detail: 'recording' } }
}

t.test('FirstAttemptQueue: busy, retrying, failing and closing', async (t) => {
  const queue = new RecordingQueue()
  const releases: Array<(step: NextStep) => void> = []
  const attempted: string[] = []
  const first = new FirstAttemptQueue({
    queue,
    log: quietLog,
    maxInFlight: 2,
    deliver: async (delivery) => {
      attempted.push(delivery.id)
      if (delivery.id === 'evt_throws') throw new Error('store down')
      return await new Promise<NextStep>((resolve) => releases.push(resolve))
    }
  })
  first.start(record('evt_a'), '{}')
  first.start(record('evt_b'), '{}')
  first.start(record('evt_c'), '{}')
  t.same(attempted, ['evt_a', 'evt_b'], 'two attempts in flight at most')
  await new Promise((resolve) => setImmediate(resolve))
  t.same(queue.added, [['evt_c', 0]], 'the third waits in the queue')
  t.ok((await first.held(['evt_a'])).has('evt_a'), 'an attempt in flight is known, so the sweep leaves it alone')

  releases[0]!({ next: 'retry', delayMs: 1234 })
  releases[1]!({ next: 'done' })
  await new Promise((resolve) => setImmediate(resolve))
  t.same(queue.added, [['evt_c', 0], ['evt_a', 1234]], 'a retry is queued with its delay')
  t.notOk((await first.held(['evt_b'])).has('evt_b'), 'a finished attempt is forgotten')

  first.start(record('evt_throws'), '{}')
  await new Promise((resolve) => setImmediate(resolve))
  t.same(queue.added.at(-1), ['evt_throws', 0], 'an attempt whose result could not be recorded is queued again')

  queue.failAdds = true
  first.start(record('evt_d'), '{}')
  releases[2]!({ next: 'retry', delayMs: 10 })
  await new Promise((resolve) => setImmediate(resolve))
  t.notOk((await first.held(['evt_d'])).has('evt_d'), 'a retry that cannot be queued is left to the outbox sweep, without throwing')
  queue.failAdds = false

  first.start(record('evt_slow'), '{}')
  const closing = first.close(50)
  first.start(record('evt_late'), '{}')
  await closing
  t.same(queue.added.at(-1), ['evt_late', 0], 'while closing, new events go to the queue')
  t.ok(queue.closedWith !== undefined && queue.closedWith <= 50, 'the queue closes within what is left of the bound')
  t.same(first.health(), { status: 'ok', detail: 'recording' })
})
