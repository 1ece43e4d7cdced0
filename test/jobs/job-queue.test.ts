// The in-process delivery queue: a delay longer than setTimeout can wait (2^31-1 ms) still waits, instead of
// firing at once as Node does with an overflowing timer; a receiver's Retry-After is honoured up to a day.
import t from 'tap'
import { InProcessJobQueue } from '../../src/jobs/job-queue.js'
import { createJobQueue } from '../../src/jobs/job-queues.js'
import { testRedis } from '../helper.js'
import { nextDelay } from '../../src/webhooks/deliverer.js'
import { parseRetryAfter } from '../../src/webhooks/webhook-sender.js'

t.test('a retry delay beyond what setTimeout can wait does not fire at once', async (t) => {
  // Retry-After: 2592000 (30 days) or WEBHOOK_RETRY_SCHEDULE=600h give delays above 2^31-1 ms, which
  // Node's setTimeout replaces with 1 ms: the next attempt would go out immediately.
  // a Retry-After of 30 days is honoured up to a day; the queue still copes with longer waits
  t.equal(nextDelay(5000, parseRetryAfter('2592000', Date.now()), () => 0), 86_400_000)
  const delay = 2_592_000_000
  let attempts = 0
  const log = { error () {}, warn () {}, info () {} } as any
  const queue = new InProcessJobQueue(async () => { attempts++; return { next: 'done' } }, log, 16)
  t.teardown(() => queue.close(0))
  const warnings: string[] = []
  const onWarning = (w: Error) => { warnings.push(w.name) }
  process.on('warning', onWarning)
  t.teardown(() => { process.off('warning', onWarning) })
  queue.add('evt_0123456789abcdef0123456789abcdef', delay)
  await new Promise((resolve) => setTimeout(resolve, 50))
  t.equal(attempts, 0, 'no attempt within 50 ms of a 30-day delay')
  t.notOk(warnings.includes('TimeoutOverflowWarning'), 'no TimeoutOverflowWarning')
})

t.test('BullMQ: held() names the IDs with a job (waiting, delayed or in flight) in one look, and not those done', async (t) => {
  const redis = await testRedis(t)
  const keyPrefix = `mo-test:held:${process.pid}:`
  const log = { error () {}, warn () {}, info () {} } as any
  let release = () => {}
  const running = new Promise<void>((resolve) => { release = resolve })
  const queue = await createJobQueue({
    name: 'held',
    redis,
    keyPrefix,
    log,
    lockDurationMs: 5000,
    concurrency: 1,
    attempt: async (id) => {
      if (id === 'slow') await running
      return { next: 'done' }
    }
  })
  t.teardown(async () => {
    release()
    await queue.close(1000)
    const keys = await redis.keys(`${keyPrefix}*`)
    if (keys.length > 0) await redis.del(...keys)
  })
  t.strictSame(await queue.held([]), new Set())
  await queue.add('done-soon')
  await queue.add('later', 60_000)
  await queue.add('slow')
  for (let i = 0; i < 100 && (await queue.held(['done-soon'])).size > 0; i++) await new Promise((resolve) => setTimeout(resolve, 20))
  t.strictSame(await queue.held(['done-soon', 'later', 'slow', 'never']), new Set(['later', 'slow']))
})
