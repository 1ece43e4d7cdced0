// A token is never thrown away: once the code is exchanged, a Meta failure that passes with time (a transient
// failure outlasting its retries, or throttling) makes the session `processing`, the browser and /code are
// answered at once, and the steps after the exchange are attempted again on ONBOARDING_RETRY_SCHEDULE — never the
// exchange — until the outcome is decided and its webhook sent, or the schedule runs out.
import t, { type Test } from 'tap'
import { Queue } from 'bullmq'
import { buildApp } from '../../src/app.js'
import { API_KEY, auth, Browser, build, createSession, GRANTS, LogCapture, ownDatabase, RETURN_ORIGIN, startPeers, testEnv, type Harness } from '../helper.js'
import { spawnService } from '../service-process.js'

const FAST = { ONBOARDING_RETRY_SCHEDULE: '300ms,300ms,300ms,300ms' }

async function submit (h: Pick<Harness, 'app' | 'sim'>, flow: 'business_portfolio' | 'asset_based' | 'partner_billing' = 'business_portfolio') {
  const session = await createSession(h as Harness, { flow })
  const res = await h.app.inject({ method: 'POST', url: `/v1/sessions/${session.id}/code`, headers: auth, payload: { code: h.sim.issueCode(GRANTS[flow]) } })
  return { status: res.statusCode, view: res.json() }
}

const view = async (h: Pick<Harness, 'app'>, id: string) => (await h.app.inject({ url: `/v1/sessions/${id}`, headers: auth })).json()

async function outcomeOf (t: Test, h: Harness, id: string, timeoutMs = 5000) {
  const events = await h.receiver.waitFor((e) => e.some((x) => x.body.data.session_id === id), timeoutMs)
  return events.filter((x) => x.body.data.session_id === id)
}

t.test('throttled /me: processing, then completed, one exchange, no call while throttled', async (t) => {
  const h = await build(t, { env: FAST })
  h.sim.throttle('me', 700)
  const session = await createSession(h, { flow: 'business_portfolio', return_url: `${RETURN_ORIGIN}/done?tenant=7` })
  const browser = new Browser(h.app)
  const login = await browser.get(session.login_url)
  const callback = await browser.get(h.sim.approve(login.headers.location as string, GRANTS.business_portfolio))
  t.equal(callback.statusCode, 303, 'the browser is answered at once')
  const back = new URL(callback.headers.location as string)
  t.same(Object.fromEntries(back.searchParams), { tenant: '7', session_id: session.id, status: 'processing' }, 'status=processing, no error')
  const processing = await view(h, session.id)
  t.equal(processing.status, 'processing')
  t.match(processing.processing, { attempts: 1, last_error: { code: 'upstream_unavailable', meta: { code: 80004 } } })
  t.equal(h.sim.callsTo('me').length, 1, 'a throttled call is not retried in the request')
  const [event, ...more] = await outcomeOf(t, h, session.id)
  t.equal(event!.type, 'onboarding.completed')
  t.same(more, [], 'one outcome')
  t.equal(h.sim.callsTo('exchange').length, 1, 'the code was exchanged once')
  const meCalls = h.sim.callsTo('me').length
  t.ok(meCalls >= 2 && meCalls <= 4, `one /me per scheduled attempt (${meCalls})`)
  t.equal(h.sim.callsTo('debug_token').length, meCalls, 'each attempt inspects once: nothing in between')
  const done = await view(h, session.id)
  t.match(done, { status: 'completed', processing: null, result: { business_id: GRANTS.business_portfolio.businessId } })
  const metrics = (await h.app.inject('/metrics')).body
  t.match(metrics, /onboarding_sessions_total\{flow="business_portfolio",outcome="processing",error=""\} 1/)
  t.match(metrics, /onboarding_processing_sessions 0/)
})

t.test("Meta's estimate is waited when longer than the schedule", async (t) => {
  const h = await build(t, { env: { ONBOARDING_RETRY_SCHEDULE: '50ms' } })
  // the simulator's usage header says 2 minutes (whole minutes)
  h.sim.throttle('debug_token', 100_000)
  const before = Date.now()
  const { status, view: session } = await submit(h)
  t.equal(status, 202, '/code answers 202 with the session processing')
  t.equal(session.status, 'processing')
  const wait = Date.parse(session.processing.next_attempt_at) - before
  t.ok(wait >= 119_000 && wait <= 125_000, `the next attempt in ${Math.round(wait / 1000)} s, not 50 ms`)
  t.equal(h.sim.callsTo('debug_token').length, 1)
})

t.test('a 5xx outlasting the in-request retries, on the callback and on /code, then success', async (t) => {
  const h = await build(t, { env: FAST })
  h.sim.failNext('debug_token', { status: 503 }, 3)
  const session = await createSession(h, { flow: 'asset_based' })
  const browser = new Browser(h.app)
  const login = await browser.get(session.login_url)
  const page = await browser.get(h.sim.approve(login.headers.location as string, GRANTS.asset_based))
  t.equal(page.statusCode, 200, 'without return_url, a page')
  t.match(page.body, /being connected/)
  t.equal(h.sim.callsTo('debug_token').length, 3, 'retried in the request, 3 attempts')
  const [event] = await outcomeOf(t, h, session.id)
  t.equal(event!.type, 'onboarding.completed')
  t.match(event!.body.data, { token_type: 'user', user_id: GRANTS.asset_based.userId })
  t.ok(h.sim.tokenInfo(event!.body.data.access_token)?.longLived, 'the long-lived token, exchanged once it was safe')
  t.equal(h.sim.callsTo('exchange').length, 1)

  h.sim.failNext('me', { status: 500 }, 3)
  const { status, view: viaCode } = await submit(h)
  t.equal(status, 202)
  const [second] = await outcomeOf(t, h, viaCode.id)
  t.equal(second!.type, 'onboarding.completed')
})

t.test('the schedule runs out: upstream_unavailable with Meta\'s last error', async (t) => {
  const h = await build(t, { env: { ONBOARDING_RETRY_SCHEDULE: '100ms,100ms' } })
  // throttled on every attempt, without an estimate of how long
  h.sim.failNext('me', { status: 400, graphError: { code: 80004, message: 'There have been too many calls to this ad-account.' } }, 10)
  const { status, view: session } = await submit(h, 'partner_billing')
  t.equal(status, 202)
  const [event] = await outcomeOf(t, h, session.id)
  t.equal(event!.type, 'onboarding.failed')
  t.match(event!.body.data.error, { code: 'upstream_unavailable', meta: { code: 80004 } })
  t.equal(h.sim.callsTo('me').length, 3, 'three attempts: the request and two scheduled')
  t.equal(h.sim.callsTo('asset_connections').length, 0)
  t.match(await view(h, session.id), { status: 'failed', processing: null, error: { code: 'upstream_unavailable' } })
})

t.test('a decided failure during a resumed attempt ends the session with it', async (t) => {
  const h = await build(t, { env: FAST })
  h.sim.failNext('me', { status: 503 }, 3)
  h.sim.failNext('me', { status: 400, graphError: { code: 190, error_subcode: 460, message: 'Error validating access token' } })
  const { status, view: session } = await submit(h)
  t.equal(status, 202)
  const [event] = await outcomeOf(t, h, session.id)
  t.equal(event!.type, 'onboarding.failed')
  t.match(event!.body.data.error, { code: 'token_invalid', meta: { code: 190, error_subcode: 460 } })
})

t.test('a processing session cannot be logged in to again, and never expires', async (t) => {
  let now = Date.now()
  const h = await build(t, { env: { ...FAST, SESSION_TTL_SECONDS: '60', ONBOARDING_RETRY_SCHEDULE: '1h' }, deps: { now: () => now } })
  h.sim.throttle('debug_token', 60_000)
  const { view: session } = await submit(h)
  t.equal(session.status, 'processing')
  const again = await new Browser(h.app).get(session.login_url)
  t.equal(again.statusCode, 409)
  t.match(again.body, /being finished/)
  now += 3_600_000
  t.equal((await view(h, session.id)).status, 'processing', 'past expires_at, still processing')
})

t.test('two instances: each processing session is finished once', async (t) => {
  const h = await build(t, { env: FAST })
  const logs = new LogCapture()
  const second = await buildApp(h.config, { redis: h.redis, redisKeyPrefix: h.prefix, logStream: logs, drainTimeoutMs: 500 })
  t.teardown(() => second.close())
  await second.ready()
  h.sim.throttle('me', 500)
  const ids: string[] = []
  for (let i = 0; i < 6; i++) ids.push((await submit({ app: i % 2 ? second : h.app, sim: h.sim })).view.id)
  await h.receiver.waitFor((e) => ids.every((id) => e.some((x) => x.body.data.session_id === id)), 8000)
  await new Promise((resolve) => setTimeout(resolve, 700))
  const outcomes = h.receiver.events.filter((e) => ids.includes(e.body.data.session_id))
  t.equal(new Set(outcomes.map((e) => e.id)).size, 6, 'one outcome each')
  t.ok(outcomes.every((e) => e.type === 'onboarding.completed'))
  t.equal(h.sim.callsTo('exchange').length, 6, 'one exchange each')
  const decided = (text: string) => text.split('\n').filter((l) => l.includes('processing session decided')).length
  t.equal(decided(h.logs.text) + decided(logs.text), 6, `decided once each (${decided(h.logs.text)} + ${decided(logs.text)})`)
})

t.test('SIGKILL while processing, then a restart: the session is finished', async (t) => {
  const { sim, receiver } = await startPeers(t)
  const { redisUrl } = await ownDatabase(t, 14)
  const env = testEnv(sim, receiver.url, { REDIS_URL: redisUrl, ONBOARDING_RETRY_SCHEDULE: '2s,1s,1s' })
  const first = await spawnService(env)
  t.teardown(() => first.stop('SIGKILL'))
  sim.throttle('me', 1500)
  const headers = { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' }
  const created = await (await fetch(`${first.base}/v1/sessions`, { method: 'POST', headers, body: '{"flow":"business_portfolio"}' })).json() as { id: string }
  const res = await fetch(`${first.base}/v1/sessions/${created.id}/code`, { method: 'POST', headers, body: JSON.stringify({ code: sim.issueCode(GRANTS.business_portfolio) }) })
  t.equal(res.status, 202)
  t.equal(await first.stop('SIGKILL'), null, 'killed before the next attempt')
  const second = await spawnService(env)
  t.teardown(() => second.stop('SIGKILL'))
  const events = await receiver.waitFor((e) => e.some((x) => x.body.data.session_id === created.id), 15_000)
  t.equal(events.find((x) => x.body.data.session_id === created.id)!.type, 'onboarding.completed')
  t.equal(sim.callsTo('exchange').length, 1, 'never exchanged again')
  t.equal(await second.stop('SIGTERM'), 0)
})

t.test('a processing session whose job is lost is queued again by the resumption sweep', async (t) => {
  // the next attempt waits 2 s: long enough for the job to be removed while it is still delayed (with 100 ms the
  // worker could take it first, and a job a worker holds cannot be removed)
  const h = await build(t, { env: { ONBOARDING_RETRY_SCHEDULE: '2s' }, deps: { sweepIntervalMs: 200 } })
  await h.app.ready()
  h.sim.throttle('debug_token', 300)
  const { view: session } = await submit(h)
  t.equal(session.status, 'processing')
  // what a Redis that lost the job, or an instance that died before adding it, leaves behind
  const connection = h.redis.duplicate()
  const queue = new Queue('onboarding', { connection, prefix: `${h.prefix}bull` })
  t.teardown(async () => { await queue.close(); connection.disconnect() })
  await (await queue.getJob(session.id))?.remove()
  t.equal(await queue.getJob(session.id), undefined, 'no job')
  const [event] = await outcomeOf(t, h, session.id, 15_000)
  t.equal(event!.type, 'onboarding.completed')
  t.match(h.logs.text, /resumption sweep queued work that had no job/)
})
