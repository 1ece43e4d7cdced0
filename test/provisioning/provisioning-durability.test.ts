// Provisioning as durable work: never delaying the browser nor the completed webhook, a lost job re-queued, one
// instance at a time; and Page tokens delivered only in the event, sealed at rest, nowhere else (the retries:
// provisioning-retries.test.ts; a SIGKILL: provisioning-sigkill.test.ts).
import { Queue } from 'bullmq'
import t from 'tap'
import { buildApp } from '../../src/app.js'
import { auth, GRANTS, keyContent, knownSecrets, leakedSecrets, LogCapture, onboard } from '../helper.js'
import { eventsOf, FIELDS, provisioned, provisioningHarness, sessionObject } from './provisioning-fixtures.js'

t.test('a slow Meta delays neither the browser nor the completed webhook', async (t) => {
  const h = await provisioningHarness(t)
  h.sim.failNext('ad_account', { delayMs: 1500 })
  const started = Date.now()
  const { callback, events } = await provisioned(h, 'business_portfolio')
  t.equal(callback.statusCode, 200)
  t.strictSame(events.map((e) => e.type), ['onboarding.completed', 'onboarding.provisioned'], 'completed first')
  t.ok(Date.parse(events[1]!.body.timestamp) - Date.parse(events[0]!.body.timestamp) >= 1400, 'provisioned after the slow call')
  t.ok(Date.now() - started >= 1400)
})

t.test('DELIVER_PAGE_TOKENS: each Page token in the event, and nowhere else', async (t) => {
  const h = await provisioningHarness(t, { DELIVER_PAGE_TOKENS: 'true', PAGE_SUBSCRIBED_FIELDS: FIELDS })
  const { sessionId, event } = await provisioned(h, 'business_portfolio')
  const tokens = event.body.data.pages.map((p: { page_access_token: string }) => p.page_access_token)
  t.equal(tokens.length, 2)
  for (const token of tokens) t.match(token, /^EAA/)
  t.not(tokens[0], tokens[1], 'each Page its own token')
  const secrets: Array<[string, string]> = [...knownSecrets(h), ...tokens.map((tk: string, i: number) => [`page token ${i}`, tk] as [string, string])]
  const view = JSON.stringify(await sessionObject(h, sessionId))
  const deliveries = (await h.app.inject({ method: 'GET', url: '/v1/deliveries?status=delivered', headers: auth })).body
  t.strictSame(leakedSecrets(view + deliveries, secrets), [], 'not in the session object nor in /v1')
  t.strictSame(leakedSecrets(h.logs.text, secrets), [], 'not in the logs')
  let stored = ''
  for (const key of await h.redis.keys(`${h.prefix}*`)) stored += await keyContent(h.redis, key)
  t.strictSame(leakedSecrets(stored, tokens.map((tk: string) => ['page token', tk] as [string, string])), [], 'never in clear in Redis')
})

t.test('DELIVER_PAGE_TOKENS alone: Page tokens read without subscription; a refused one is null with check_failed', async (t) => {
  const h = await provisioningHarness(t, { DELIVER_PAGE_TOKENS: 'true', READINESS_CHECKS: 'false' })
  h.sim.failNext('page_token', { status: 400, graphError: { code: 190, message: 'Invalid OAuth access token' } })
  const { event } = await provisioned(h, 'business_portfolio')
  const pages = event.body.data.pages
  t.equal(pages.filter((p: { page_access_token: string | null }) => p.page_access_token === null).length, 1)
  t.ok(pages.every((p: { subscription: string }) => p.subscription === 'skipped'))
  t.strictSame(event.body.data.warnings.map((w: { code: string }) => w.code), ['check_failed'])
})

t.test('two instances: each session provisioned once', async (t) => {
  const h = await provisioningHarness(t, { PAGE_SUBSCRIBED_FIELDS: FIELDS })
  const config = h.config
  const second = await buildApp(config, { redis: h.redis, redisKeyPrefix: h.prefix, logStream: new LogCapture() })
  t.teardown(() => second.close())
  await second.ready()
  const ids: string[] = []
  for (let i = 0; i < 6; i++) ids.push((await provisioned(h, 'business_portfolio')).sessionId)
  await new Promise((resolve) => setTimeout(resolve, 500))
  for (const id of ids) t.equal(eventsOf(h.receiver.events, id, 'onboarding.provisioned').length, 1, `${id} provisioned once`)
  t.equal(h.sim.callsTo('subscribed_apps').length, 12, 'two Pages each, subscribed once')
})

t.test('a provisioning whose job was lost is queued again by the sweep', async (t) => {
  // the sweep waits one attempt's claim (3 × META_TIMEOUT_MS + 10 s) before it queues a provisioning due
  const h = await provisioningHarness(t, { ONBOARDING_RETRY_SCHEDULE: '2s', META_TIMEOUT_MS: '300' }, { deps: { sweepIntervalMs: 200 } })
  h.sim.failNext('ad_account', { status: 500 }, 3)
  const { session } = await onboard(h, 'business_portfolio', GRANTS.business_portfolio)
  // once the first attempt is over, its job waits in the delayed set: that is what Redis loses here
  for (let i = 0; i < 50 && !h.logs.text.includes('provisioning attempt interrupted'); i++) await new Promise((resolve) => setTimeout(resolve, 100))
  const connection = h.redis.duplicate()
  const queue = new Queue('provisioning', { connection, prefix: `${h.prefix}bull` })
  t.teardown(async () => { await queue.close(); connection.disconnect() })
  await (await queue.getJob(session.id))?.remove()
  const events = await h.receiver.waitFor((e) => eventsOf(e, session.id, 'onboarding.provisioned').length === 1, 25_000)
  t.equal(eventsOf(events, session.id, 'onboarding.provisioned')[0]!.body.data.ready, true)
  t.match(h.logs.text, /provisioning sweep queued work that had no job/)
})
