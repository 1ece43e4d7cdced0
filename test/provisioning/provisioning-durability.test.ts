// Provisioning as durable work: never delaying the browser nor the completed webhook, Meta's passing failures
// retried on ONBOARDING_RETRY_SCHEDULE without repeating a subscription that succeeded, a SIGKILL survived, one
// instance at a time; and Page tokens delivered only in the event, sealed at rest, nowhere else.
import { Queue } from 'bullmq'
import { Redis } from 'ioredis'
import t from 'tap'
import { buildApp } from '../../src/app.js'
import { API_KEY, auth, GRANTS, knownSecrets, leakedSecrets, LogCapture, REDIS_URL, startPeers, testEnv } from '../helper.js'
import { spawnService } from '../service-process.js'
import { DEFAULTS, eventsOf, FIELDS, provisioned, provisioningHarness, sessionObject } from './provisioning-fixtures.js'

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

t.test('a transient failure is retried on the schedule, and a subscription that succeeded is not made again', async (t) => {
  const h = await provisioningHarness(t, { PAGE_SUBSCRIBED_FIELDS: FIELDS, ONBOARDING_RETRY_SCHEDULE: '300ms,300ms' })
  // three 500s outlast the in-request retries of the first attempt; the second attempt succeeds
  h.sim.failNext('ad_account', { status: 500 }, 3)
  const { sessionId, event } = await provisioned(h, 'business_portfolio')
  t.equal(event.body.data.ready, true)
  t.equal(event.body.data.ad_accounts[0].status, 'active')
  t.equal(h.sim.callsTo('ad_account').length, 4, 'three failed in the first attempt, one in the second')
  t.equal(h.sim.callsTo('subscribed_apps').length, 2, 'each Page subscribed once')
  t.equal(eventsOf(h.receiver.events, sessionId, 'onboarding.provisioned').length, 1)
  t.match(h.logs.text, /provisioning attempt interrupted/)
})

t.test('while provisioning waits for its next attempt, the session object says pending', async (t) => {
  const h = await provisioningHarness(t, { ONBOARDING_RETRY_SCHEDULE: '1500ms' })
  h.sim.failNext('ad_account', { status: 503 }, 3)
  const { onboard } = await import('../helper.js')
  const { session } = await onboard(h, 'business_portfolio', GRANTS.business_portfolio)
  await h.receiver.waitFor((e) => eventsOf(e, session.id, 'onboarding.completed').length === 1)
  await new Promise((resolve) => setTimeout(resolve, 700))
  const view = await sessionObject(h, session.id)
  t.equal(view.status, 'completed')
  t.strictSame(view.provisioning, { status: 'pending', ready: null, warnings: [] })
  await h.receiver.waitFor((e) => eventsOf(e, session.id, 'onboarding.provisioned').length === 1, 5000)
  t.equal((await sessionObject(h, session.id)).provisioning.status, 'done')
})

t.test('when the schedule runs out, the check is reported failed with Meta\'s error', async (t) => {
  const h = await provisioningHarness(t, { ONBOARDING_RETRY_SCHEDULE: '100ms' })
  h.sim.failNext('ad_account', { status: 500, graphError: { code: 2, message: 'Service temporarily unavailable', is_transient: true } }, 6)
  const { event } = await provisioned(h, 'business_portfolio')
  const account = event.body.data.ad_accounts[0]
  t.match(account, { id: 'act_5566778899', billing: true, account_status: null, status: null, business_country_code: null, region_supported: null, has_payment_method: null })
  t.equal(account.error.meta.code, 2)
  t.strictSame(event.body.data.warnings.map((w: { code: string }) => w.code), ['check_failed'])
  t.equal(event.body.data.ready, false)
})

t.test('a refusal is not retried: the ad account is reported with Meta\'s error at once', async (t) => {
  const h = await provisioningHarness(t, { ONBOARDING_RETRY_SCHEDULE: '10s' })
  h.sim.failNext('ad_account', { status: 400, graphError: { code: 100, error_subcode: 33, message: 'Unsupported get request' } })
  const { event } = await provisioned(h, 'business_portfolio', GRANTS.business_portfolio, 3000)
  t.equal(event.body.data.ad_accounts[0].error.meta.error_subcode, 33)
  t.equal(h.sim.callsTo('ad_account').length, 1)
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
  for (const key of await h.redis.keys(`${h.prefix}*`)) stored += await (await import('../helper.js')).keyContent(h.redis, key)
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
  const { onboard } = await import('../helper.js')
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

t.test('SIGKILL during provisioning, then a restart: the session is provisioned, once', async (t) => {
  const { sim, receiver } = await startPeers(t)
  // a database of its own: other files flush theirs, and tap runs files side by side
  const redisUrl = `${REDIS_URL.replace(/\/\d*$/, '')}/10`
  const redis = new Redis(redisUrl)
  await redis.flushdb()
  t.teardown(async () => { await redis.flushdb(); await redis.quit() })
  const env = testEnv(sim, receiver.url, { ...DEFAULTS, REDIS_URL: redisUrl, PAGE_SUBSCRIBED_FIELDS: FIELDS, META_TIMEOUT_MS: '1000', ONBOARDING_RETRY_SCHEDULE: '1s,1s' })
  const first = await spawnService(env)
  t.teardown(() => first.stop('SIGKILL'))
  // the readiness check hangs: the instance dies in the middle of provisioning
  sim.failNext('ad_account', { delayMs: 10_000 })
  const headers = { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' }
  const created = await (await fetch(`${first.base}/v1/sessions`, { method: 'POST', headers, body: '{"flow":"business_portfolio"}' })).json() as { id: string }
  const res = await fetch(`${first.base}/v1/sessions/${created.id}/code`, { method: 'POST', headers, body: JSON.stringify({ code: sim.issueCode(GRANTS.business_portfolio) }) })
  t.equal(res.status, 200)
  await receiver.waitFor((e) => eventsOf(e, created.id, 'onboarding.completed').length === 1)
  for (let i = 0; i < 50 && sim.callsTo('ad_account').length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 100))
  t.equal(sim.callsTo('ad_account').length, 1, 'provisioning under way')
  t.equal(await first.stop('SIGKILL'), null, 'killed during provisioning')
  const second = await spawnService(env)
  t.teardown(() => second.stop('SIGKILL'))
  const events = await receiver.waitFor((e) => eventsOf(e, created.id, 'onboarding.provisioned').length === 1, 30_000)
  t.equal(eventsOf(events, created.id, 'onboarding.provisioned')[0]!.body.data.ready, true)
  await new Promise((resolve) => setTimeout(resolve, 500))
  t.equal(eventsOf(receiver.events, created.id, 'onboarding.provisioned').length, 1, 'provisioned once')
  t.equal(sim.callsTo('exchange').length, 1, 'never exchanged again')
  t.equal(await second.stop('SIGTERM'), 0)
})

t.test('a token no longer stored when the next attempt comes: every check is reported failed, and provisioning ends', async (t) => {
  const h = await provisioningHarness(t, { PAGE_SUBSCRIBED_FIELDS: FIELDS, ONBOARDING_RETRY_SCHEDULE: '1s' })
  h.sim.failNext('page_token', { status: 503 }, 6)
  const { onboard } = await import('../helper.js')
  const { session } = await onboard(h, 'business_portfolio', GRANTS.business_portfolio)
  for (let i = 0; i < 50 && !h.logs.text.includes('provisioning attempt interrupted'); i++) await new Promise((resolve) => setTimeout(resolve, 100))
  // what a retention shorter than the wait leaves: the session, without its token
  await h.redis.del(`${h.prefix}token:${session.id}`)
  const events = await h.receiver.waitFor((e) => eventsOf(e, session.id, 'onboarding.provisioned').length === 1, 10_000)
  const data = eventsOf(events, session.id, 'onboarding.provisioned')[0]!.body.data
  t.equal(data.ready, false)
  t.ok(data.pages.every((p: { subscription: string, error: { message: string } }) => p.subscription === 'failed' && /no longer stored/.test(p.error.message)))
  t.strictSame(data.ad_accounts.map((a: { id: string, status: null }) => [a.id, a.status]), [['act_5566778899', null]])
  t.strictSame(data.warnings.map((w: { code: string }) => w.code), ['page_subscription_failed', 'page_subscription_failed', 'check_failed'])
})
