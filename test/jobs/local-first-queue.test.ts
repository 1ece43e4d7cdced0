// The first attempt made in process, and only what is left over queued: a success never touches the queue, a
// retry is queued with its delay, a failure of the store is queued too, and past maxInFlight or once closed the
// work goes to the queue at once.
import t from 'tap'
import type { JobQueue, NextStep } from '../../src/jobs/job-queue.js'
import { LocalFirstQueue } from '../../src/jobs/local-first-queue.js'

function recordingQueue () {
  const added: Array<[string, number]> = []
  const queue: JobQueue = {
    add: async (id, delayMs = 0) => { added.push([id, delayMs]) },
    held: async (ids) => new Set(ids.filter((id) => added.some(([a]) => a === id))),
    close: async () => {},
    health: () => ({ status: 'ok', detail: 'test' })
  }
  return { queue, added }
}

const log = { warn () {}, info () {}, error () {} } as any
const settle = () => new Promise((resolve) => setTimeout(resolve, 20))

t.test('a first attempt that succeeds is never queued; one to retry is, with its delay', async (t) => {
  const { queue, added } = recordingQueue()
  const steps: Record<string, NextStep> = { a: { next: 'done' }, b: { next: 'retry', delayMs: 1234 } }
  const attempted: string[] = []
  const local = new LocalFirstQueue({ queue, attempt: async (id) => { attempted.push(id); return steps[id]! }, log, maxInFlight: 4, name: 'test', logKey: 'id', afterFailureMs: 5000 })
  local.attemptNow('a', undefined)
  local.attemptNow('b', undefined)
  await settle()
  t.strictSame(attempted, ['a', 'b'])
  t.strictSame(added, [['b', 1234]])
  t.equal((await local.held(['b'])).has('b'), true)
  t.equal((await local.held(['a'])).has('a'), false)
})

t.test('an attempt that throws (the store) is queued; beyond maxInFlight and once closed, work is queued at once', async (t) => {
  const { queue, added } = recordingQueue()
  let release = () => {}
  const local = new LocalFirstQueue({
    queue,
    attempt: async (id) => {
      if (id === 'broken') throw new Error('store down')
      await new Promise<void>((resolve) => { release = resolve })
      return { next: 'done' }
    },
    log,
    maxInFlight: 1,
    name: 'test',
    logKey: 'id',
    afterFailureMs: 5000
  })
  local.attemptNow('slow', undefined)
  t.equal((await local.held(['slow'])).has('slow'), true, 'in flight counts as held')
  local.attemptNow('second', undefined)
  await settle()
  t.strictSame(added, [['second', 0]], 'past maxInFlight: queued')
  release()
  await settle()
  local.attemptNow('broken', undefined)
  await settle()
  t.strictSame(added.at(-1), ['broken', 5000], 'a store failure is retried through the queue')
  await local.close(100)
  local.attemptNow('late', undefined)
  await settle()
  t.strictSame(added.at(-1), ['late', 0], 'closed: queued')
})
