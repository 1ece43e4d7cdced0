// Meta's Business Integration webhooks name the client's portfolio (`value.business_manager_id`): their
// meta.app_event also carries `business_id` and the completed sessions of that business, oldest first, so the
// partner can tie the change to its tenants. Through the HTTP stack and the store, as Meta and the partner see it.
import t, { type Test } from 'tap'
import { appWebhookBody, businessIntegrationValue } from '../../src/sandbox/meta-simulator-callbacks.js'
import type { FlowName } from '../../src/flows/flows.js'
import type { SimulatedGrant } from '../../src/sandbox/meta-simulator.js'
import { APP_ID, build, GRANTS, onboard, type Harness, type HarnessOptions, type ReceivedEvent } from '../helper.js'
import { postWebhook } from './callbacks.js'

const BUSINESS = GRANTS.business_portfolio.businessId!
const TIME = 1700000000

/** an onboarding's session ID and its status: the outcome is recorded before the callback answers */
async function onboarded (h: Harness, flow: FlowName, grant: SimulatedGrant | 'deny'): Promise<{ id: string; status: string | undefined }> {
  const { session } = await onboard(h, flow, grant)
  return { id: session.id, status: (await h.stores.sessions.getSession(session.id))?.status }
}

/** a completed onboarding's session ID */
async function completed (t: Test, h: Harness, flow: 'business_portfolio' | 'partner_billing' = 'business_portfolio'): Promise<string> {
  const { id, status } = await onboarded(h, flow, GRANTS[flow])
  t.equal(status, 'completed', `${flow} completed`)
  return id
}

/** posts one signed change and returns the meta.app_event the partner received for it */
async function appEventFor (h: Harness, field: string, value: unknown, object = 'application'): Promise<Record<string, unknown>> {
  const body = object === 'application' ? appWebhookBody(APP_ID, field, value, TIME) : JSON.stringify({ object, entry: [{ id: '42', time: TIME, changes: [{ field, value }] }] })
  const seen = h.receiver.events.length
  const res = await postWebhook(h, body)
  if (res.statusCode !== 200) throw new Error(`the notification answered ${res.statusCode}: ${res.body}`)
  const events = await h.receiver.waitFor((e) => e.slice(seen).some((x: ReceivedEvent) => x.type === 'meta.app_event'))
  return events.slice(seen).find((x) => x.type === 'meta.app_event')!.body.data
}

const dataOf = (field: string, value: unknown, extra: Record<string, unknown> = {}) => ({ object: 'application', entry_id: APP_ID, time: TIME, field, value, ...extra })

for (const [name, options] of [['Redis', {}], ['the in-process store', { memory: true }]] as Array<[string, HarnessOptions]>) {
  t.test(`${name}: an uninstall for the business of a completed onboarding names its session`, async (t) => {
    const h = await build(t, options)
    const sessionId = await completed(t, h)
    const value = businessIntegrationValue(BUSINESS, '5678')
    t.strictSame(await appEventFor(h, 'business_integration_uninstall', value),
      dataOf('business_integration_uninstall', { business_manager_id: BUSINESS, tp_config_id: '5678' }, { business_id: BUSINESS, session_ids: [sessionId] }))
    t.same(h.receiver.rejected, [], 'verified with standardwebhooks')
  })
}

t.test('two completed sessions of one business, oldest first; a failed one and another business\'s are not named', async (t) => {
  const h = await build(t)
  const first = await completed(t, h)
  // the same business, but the admin withheld a permission: a failed session is no tenant of it
  t.equal((await onboarded(h, 'business_portfolio', { ...GRANTS.business_portfolio, scopes: ['ads_management'] })).status, 'failed')
  t.equal((await onboarded(h, 'business_portfolio', 'deny')).status, 'failed')
  const other = await completed(t, h, 'partner_billing')
  const second = await completed(t, h)
  for (const field of ['business_integration_install', 'business_integration_update', 'business_integration_uninstall']) {
    t.strictSame((await appEventFor(h, field, businessIntegrationValue(BUSINESS))).session_ids, [first, second], field)
  }
  const otherBusiness = GRANTS.partner_billing.businessId!
  t.strictSame((await appEventFor(h, 'business_integration_uninstall', businessIntegrationValue(otherBusiness))).session_ids, [other], 'flow 3 under its own business')
  const unknown = await appEventFor(h, 'business_integration_install', businessIntegrationValue('4455667788'))
  t.strictSame([unknown.business_id, unknown.session_ids], ['4455667788', []], 'a business with no completed session: []')
})

t.test('one notification of several businesses: each change names its own business\'s sessions', async (t) => {
  const h = await build(t)
  const first = await completed(t, h)
  const other = await completed(t, h, 'partner_billing')
  const changes = [BUSINESS, GRANTS.partner_billing.businessId!, BUSINESS].map((id) => ({ field: 'business_integration_update', value: businessIntegrationValue(id) }))
  const res = await postWebhook(h, JSON.stringify({ object: 'application', entry: [{ id: APP_ID, time: TIME, changes }] }))
  t.same(res.json(), { status: 'accepted', events: 3 })
  const events = (await h.receiver.waitFor((e) => e.filter((x) => x.type === 'meta.app_event').length >= 3)).filter((x) => x.type === 'meta.app_event')
  const named = (list: unknown[][]) => list.map((pair) => JSON.stringify(pair)).sort()
  t.strictSame(named(events.map((e) => [e.body.data.business_id, e.body.data.session_ids])),
    named([[BUSINESS, [first]], [BUSINESS, [first]], [GRANTS.partner_billing.businessId!, [other]]]))
})

t.test('other fields, and these fields on another object, keep exactly the five fields of data', async (t) => {
  const h = await build(t)
  await completed(t, h)
  const value = businessIntegrationValue(BUSINESS)
  t.strictSame(await appEventFor(h, 'plugin_comment', value), dataOf('plugin_comment', value), 'another field of the Application object')
  t.strictSame(await appEventFor(h, 'business_integration_uninstall', value, 'page'),
    { object: 'page', entry_id: '42', time: TIME, field: 'business_integration_uninstall', value }, 'not the Application object')
})

t.test('a Business Integration change without a usable business_manager_id: business_id null, no session', async (t) => {
  const h = await build(t)
  await completed(t, h)
  const unusable: unknown[] = [{ tp_config_id: '5678' }, {}, null, 'x', [BUSINESS], { business_manager_id: '' },
    { business_manager_id: 'act_1234567890' }, { business_manager_id: '1'.repeat(33) }, { business_manager_id: -1 }, { business_manager_id: 1.5 }]
  for (const value of unusable) {
    t.strictSame(await appEventFor(h, 'business_integration_uninstall', value),
      dataOf('business_integration_uninstall', value, { business_id: null, session_ids: [] }), JSON.stringify(value))
  }
  // Meta writes IDs as strings; a number is kept as its digits, as the entry's id is
  const asNumber = await appEventFor(h, 'business_integration_install', { business_manager_id: Number(BUSINESS) })
  t.strictSame([asNumber.business_id, (asNumber.session_ids as string[]).length], [BUSINESS, 1])
})
