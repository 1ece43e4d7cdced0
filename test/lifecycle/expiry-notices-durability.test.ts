// The expiry notices as durable work: still sent after a restart, exactly once with two instances, and a lost
// job queued again by the sweep.
import { Queue } from 'bullmq'
import t from 'tap'
import { buildApp } from '../../src/app.js'
import { loadConfig } from '../../src/config/config.js'
import { build, LogCapture, testEnv } from '../helper.js'
import { assetBased, NOTICES, noticesOf } from './notice-fixtures.js'

t.test('after a restart, the scheduled notices are still sent, once', async (t) => {
  const h = await build(t, { env: { TOKEN_EXPIRY_NOTICE: '2s' } })
  const { id } = await assetBased(h, 3)
  await h.app.close()
  await new Promise((resolve) => setTimeout(resolve, 1500))
  const again = await buildApp(h.config, { redis: h.redis, redisKeyPrefix: h.prefix, logStream: new LogCapture() })
  t.teardown(() => again.close())
  await again.ready()
  const events = await h.receiver.waitFor((e) => noticesOf(e, id).length === 2, 10_000)
  t.strictSame(noticesOf(events, id).map((e) => e.type), NOTICES)
})

t.test('two instances on one Redis: each notice is sent exactly once', async (t) => {
  const h = await build(t, { env: { TOKEN_EXPIRY_NOTICE: '1s' } })
  const config = loadConfig(testEnv(h.sim, h.receiver.url, { TOKEN_EXPIRY_NOTICE: '1s' }))
  const second = await buildApp(config, { redis: h.redis, redisKeyPrefix: h.prefix, logStream: new LogCapture() })
  t.teardown(() => second.close())
  await second.ready()
  const ids: string[] = []
  for (let i = 0; i < 5; i++) ids.push((await assetBased(h, 2, { external_id: `tenant-${i}` })).id)
  await h.receiver.waitFor((e) => ids.every((id) => noticesOf(e, id).length === 2), 15_000)
  await new Promise((resolve) => setTimeout(resolve, 1000))
  for (const id of ids) t.equal(noticesOf(h.receiver.events, id).length, 2, `${id}: two notices, no more`)
})

t.test('a notice whose job was lost is queued again by the sweep', async (t) => {
  const h = await build(t, { env: { TOKEN_EXPIRY_NOTICE: '100d' }, deps: { sweepIntervalMs: 200 } })
  const { id } = await assetBased(h, 3)
  await h.receiver.waitFor((e) => noticesOf(e, id).length === 1)
  // the expiry's job is lost (as with a Redis that lost it): the schedule still holds the notice
  const queue = new Queue('lifecycle', { connection: h.redis, prefix: `${h.prefix}bull` })
  t.teardown(() => queue.close())
  await queue.remove(`expired.${id}`)
  t.equal(await queue.getJob(`expired.${id}`), undefined, 'job removed')
  const events = await h.receiver.waitFor((e) => noticesOf(e, id).length === 2, 15_000)
  t.equal(noticesOf(events, id)[1]!.type, 'onboarding.token_expired')
})
