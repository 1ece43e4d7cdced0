// Provisioning's attempts: Meta's passing failures retried on ONBOARDING_RETRY_SCHEDULE without repeating a
// subscription that succeeded, the session object meanwhile, the end of the schedule, a refusal not retried, and
// a token no longer stored when the next attempt comes.
import t from 'tap'
import { GRANTS, onboard } from '../helper.js'
import { eventsOf, FIELDS, provisioned, provisioningHarness, sessionObject } from './provisioning-fixtures.js'

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

t.test('a token no longer stored when the next attempt comes: every check is reported failed, and provisioning ends', async (t) => {
  const h = await provisioningHarness(t, { PAGE_SUBSCRIBED_FIELDS: FIELDS, ONBOARDING_RETRY_SCHEDULE: '1s' })
  h.sim.failNext('page_token', { status: 503 }, 6)
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
