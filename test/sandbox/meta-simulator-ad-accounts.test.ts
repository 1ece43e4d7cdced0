// The simulated Meta's ad account readiness read (through the service's Meta client and by hand): the default
// answer, each state a test can set, only the fields asked for, refused to a token that cannot see the account or
// has no ads permission, flow 3's partner account seen once connected; planned failures and throttling.
import t from 'tap'
import type { AdAccountInfo } from '../../src/meta/meta-client.js'
import { MetaCallError } from '../../src/meta/meta-call-error.js'
import type { SimulatedGrant } from '../../src/sandbox/meta-simulator.js'
import { call, flow1, flow2, metaClient, proof, sim, tokenFor, V } from './meta-simulator-fixtures.js'

const client = metaClient()
const budget = () => client.startBudget()
const READY: AdAccountInfo = { accountStatus: 1, disableReason: 0, businessCountryCode: 'US', hasPaymentMethod: true }
const FIELDS = 'account_status,disable_reason,business_country_code,funding_source_details'
/** flow 3: a system user without ad accounts of its own, billed to the partner's account once connected */
const flow3: SimulatedGrant = { kind: 'system_user', scopes: flow1.scopes, pageIds: ['111'], adAccountIds: [], userId: '900000000000003', businessId: '8000000000000003' }
const PARTNER = '777000000000001'

t.test('an ad account answers active, in the US, with a payment method, unless told otherwise; only the fields asked for', async (t) => {
  const token = await tokenFor(flow1)
  t.same(await client.adAccount(token, 'act_333', budget()), READY)
  t.same(sim.callsTo('ad_account').map((c) => [c.path, c.query['fields']]), [[`/${V}/act_333`, FIELDS]])

  const raw = await call(`/${V}/act_333`, { fields: FIELDS, access_token: token, ...proof(token) })
  t.same(Object.keys(raw.body), ['account_status', 'disable_reason', 'business_country_code', 'funding_source_details', 'id'])
  t.match(raw.body, { account_status: 1, disable_reason: 0, business_country_code: 'US', id: 'act_333', funding_source_details: { id: /^\d+$/, display_string: 'Visa *1234', type: 1 } })
  t.same((await call(`/${V}/act_333`, { fields: 'account_status', access_token: token, ...proof(token) })).body, { account_status: 1, id: 'act_333' })
  t.same((await call(`/${V}/act_333`, { access_token: token, ...proof(token) })).body, { id: 'act_333' }, 'no fields: the id alone')
  t.match((await call(`/${V}/act_333`, { fields: 'account_status,spend_forecast', access_token: token, ...proof(token) })).body.error,
    { code: 100, message: '(#100) Tried accessing nonexisting field (spend_forecast) on node type (AdAccount)' })
  t.match((await call(`/${V}/act_333`, { fields: 'account_status', access_token: token, ...proof(await tokenFor(flow1)) })).body.error,
    { code: 100, type: 'GraphMethodException', message: 'Invalid appsecret_proof provided in the API argument' })
  t.same(await client.adAccount(await tokenFor(flow2), 'act_333', budget()), READY, 'a user token with the account granted sees it too')
})

t.test('setAdAccount: each state is answered; unset fields keep their value; reset forgets them', async (t) => {
  const token = await tokenFor(flow1)
  sim.setAdAccount('act_333', { accountStatus: 3 })
  t.same(await client.adAccount(token, 'act_333', budget()), { ...READY, accountStatus: 3 })
  sim.setAdAccount('333', { accountStatus: 2, disableReason: 1 })
  t.same(await client.adAccount(token, 'act_333', budget()), { ...READY, accountStatus: 2, disableReason: 1 })
  sim.setAdAccount('333', { businessCountryCode: 'DE' })
  t.same(await client.adAccount(token, 'act_333', budget()), { ...READY, accountStatus: 2, disableReason: 1, businessCountryCode: 'DE' })
  sim.setAdAccount('333', { businessCountryCode: null, paymentMethod: false })
  t.same(await client.adAccount(token, 'act_333', budget()), { accountStatus: 2, disableReason: 1, businessCountryCode: null, hasPaymentMethod: false })
  t.same((await call(`/${V}/act_333`, { fields: FIELDS, access_token: token, ...proof(token) })).body, { account_status: 2, disable_reason: 1, id: 'act_333' },
    'no country and no payment method: the keys are left out')
  t.throws(() => { sim.setAdAccount('acct-333', { accountStatus: 1 }) }, RangeError)

  sim.reset()
  const fresh = await tokenFor(flow1)
  t.same(await client.adAccount(fresh, 'act_333', budget()), READY, 'reset: the default again')
})

t.test('an account the token cannot see, or a token without ads permission, is refused as Meta refuses it', async (t) => {
  const token = await tokenFor(flow1)
  const unseen = await client.adAccount(token, 'act_444', budget()).catch((err: unknown) => err)
  t.type(unseen, MetaCallError)
  t.match(unseen, { endpoint: 'ad_account', status: 400, graph: { code: 100, error_subcode: 33, type: 'GraphMethodException' } })
  t.equal((unseen as MetaCallError).kind, 'permanent')
  const raw = await call(`/${V}/act_444`, { fields: FIELDS, access_token: token, ...proof(token) })
  t.match(raw.body.error.message, /^Unsupported get request\. Object with ID 'act_444' does not exist, cannot be loaded due to missing permissions, or does not support this operation\./)
  t.equal(raw.headers.get('www-authenticate'), 'OAuth "Facebook Platform" "invalid_request" "Unsupported get request."')

  const noAds = await tokenFor({ ...flow1, scopes: ['pages_messaging', 'paid_marketing_messages'] })
  const withoutPermission = await call(`/${V}/act_333`, { fields: FIELDS, access_token: noAds, ...proof(noAds) })
  t.equal(withoutPermission.status, 403)
  t.match(withoutPermission.body.error, { code: 200, message: '(#200) Ad account owner has NOT grant ads_management or ads_read permission' })
  t.equal((await client.adAccount(await tokenFor({ ...flow1, scopes: ['ads_read'] }), 'act_333', budget())).accountStatus, 1, 'ads_read is enough')
  const page = await client.pageAccessToken(token, '111', budget())
  t.match((await call(`/${V}/act_333`, { fields: FIELDS, access_token: page, ...proof(page) })).body.error, { code: 200 }, 'a Page token reads no ad account')
  t.match((await call(`/${V}/act_333`, { fields: FIELDS })).body.error, { code: 104 })
})

t.test('flow 3: the partner\'s account is seen by the system user it was connected to, and by no other', async (t) => {
  const token = await tokenFor(flow3)
  t.match(await client.adAccount(token, `act_${PARTNER}`, budget()).catch((err: unknown) => err), { graph: { code: 100, error_subcode: 33 } }, 'not yet connected')
  await client.connectAsset(flow3.userId!, token, PARTNER, budget())
  t.same(await client.adAccount(token, `act_${PARTNER}`, budget()), READY)
  t.match(await client.adAccount(await tokenFor(flow1), `act_${PARTNER}`, budget()).catch((err: unknown) => err), { graph: { code: 100, error_subcode: 33 } },
    'another system user')
})

t.test('planned failures and throttling reach the ad account read', async (t) => {
  const token = await tokenFor(flow1)
  sim.failNext('ad_account', { status: 500 })
  t.same(await client.adAccount(token, 'act_333', budget()), READY, 'a 500 is retried')
  t.equal(sim.callsTo('ad_account').length, 2)
  sim.failNext('ad_account', { status: 500 }, 3)
  t.match(await client.adAccount(token, 'act_333', budget()).catch((err: unknown) => err), { status: 500, reason: 'http' })
  t.equal(sim.callsTo('ad_account').length, 5, 'three attempts, then the failure')
  sim.throttle('ad_account', 60_000)
  t.match(await client.adAccount(token, 'act_333', budget()).catch((err: unknown) => err), { graph: { code: 80004 } })
})
