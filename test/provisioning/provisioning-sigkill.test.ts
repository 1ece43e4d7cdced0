// A SIGKILL of the instance in the middle of provisioning, then a restart: the provisioning index that the
// outcome wrote is found by the sweep, and the session is provisioned once, without a second code exchange.
import t from 'tap'
import { API_KEY, GRANTS, ownDatabase, startPeers, testEnv } from '../helper.js'
import { spawnService } from '../service-process.js'
import { DEFAULTS, eventsOf, FIELDS } from './provisioning-fixtures.js'

t.test('SIGKILL during provisioning, then a restart: the session is provisioned, once', async (t) => {
  const { sim, receiver } = await startPeers(t)
  const { redisUrl } = await ownDatabase(t, 10)
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
