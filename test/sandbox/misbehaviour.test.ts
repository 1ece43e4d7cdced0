// The sandbox's misbehaviour switch, against the simulated Meta: the provisioning misbehaviours change what the
// next approval's ad accounts (the partner's billed account too) and the next Page subscription answer, once;
// the next approval finds the accounts as they were.
import t from 'tap'
import type { AdAccountInfo } from '../../src/meta/meta-client.js'
import type { MetaCallError } from '../../src/meta/meta-call-error.js'
import { MISBEHAVIOURS, MisbehaviourSwitch } from '../../src/sandbox/misbehaviour.js'
import { flow1, metaClient, sim, tokenFor } from './meta-simulator-fixtures.js'

const client = metaClient()
const budget = () => client.startBudget()
const READY: AdAccountInfo = { accountStatus: 1, disableReason: 0, businessCountryCode: 'US', hasPaymentMethod: true }
const PARTNER = '777000000000001'

t.test('misbehaviours change the next approval\'s ad accounts (the partner\'s too) or Page subscription, once', async (t) => {
  const misbehaviour = new MisbehaviourSwitch(
    (...args) => { sim.failNext(...args) },
    (...args) => { sim.throttle(...args) },
    (...args) => { sim.setAdAccount(...args) },
    PARTNER
  )
  const grant = { ...flow1, adAccountIds: ['333', '334'] }
  const token = await tokenFor(grant)
  await client.connectAsset(grant.userId!, token, PARTNER, budget())
  const accounts = async (): Promise<AdAccountInfo[]> =>
    await Promise.all(['act_333', 'act_334', `act_${PARTNER}`].map(async (id) => await client.adAccount(token, id, budget())))
  const approve = (mode: keyof typeof MISBEHAVIOURS): void => {
    misbehaviour.set(mode)
    t.same(misbehaviour.apply(grant), grant, `${mode}: the grant is approved as it is`)
    t.equal(misbehaviour.next, 'none', `${mode}: the switch resets`)
  }

  approve('ad_account_disabled')
  t.same(await accounts(), Array(3).fill({ ...READY, accountStatus: 2, disableReason: 1 }))
  approve('none')
  t.same(await accounts(), Array(3).fill(READY), 'the next approval finds them as they were')
  approve('ad_account_region')
  t.same(await accounts(), Array(3).fill({ ...READY, businessCountryCode: 'DE' }))
  approve('ad_account_no_payment')
  t.same(await accounts(), Array(3).fill({ ...READY, hasPaymentMethod: false }), 'one misbehaviour at a time')

  approve('page_subscription_refused')
  t.same(await accounts(), Array(3).fill(READY))
  const page = await client.pageAccessToken(token, '111', budget())
  const refused = await client.subscribeApp(page, '111', ['messages'], budget()).catch((err: unknown) => err)
  t.match(refused, { endpoint: 'subscribed_apps', status: 403, graph: { code: 200, message: /pages_messaging/ } })
  t.equal((refused as MetaCallError).permissionDenied, true)
  await client.subscribeApp(page, '111', ['messages'], budget())
  t.same(sim.pageSubscriptions(), [{ pageId: '111', fields: ['messages'] }], 'only the next subscription is refused')
})
