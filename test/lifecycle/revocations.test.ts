// Revocation, through the real stack: Meta's business_integration_uninstall webhook revokes every completed
// session of its business, and the deauthorize callback every completed flow 2 session of its person; each is
// revoked once (onboarding.revoked, `revoked_at` on the session object), its expiry notices cancelled, and the
// meta.app_event / meta.deauthorized event is sent as before. Every event verified with standardwebhooks.
import t from 'tap'
import { appWebhookBody, businessIntegrationValue, signedRequestPayload } from '../../src/sandbox/meta-simulator-callbacks.js'
import { APP_ID, auth, build, GRANTS, onboard, type Harness, type HarnessOptions, type ReceivedEvent } from '../helper.js'
import { postForm, postWebhook } from '../meta/callbacks.js'

const BUSINESS = GRANTS.business_portfolio.businessId!
const revokedOf = (events: ReceivedEvent[]) => events.filter((e) => e.type === 'onboarding.revoked')

async function completed (h: Harness, flow: 'business_portfolio' | 'asset_based' | 'partner_billing', body: Record<string, unknown> = {}, grant = GRANTS[flow]): Promise<string> {
  const { session } = await onboard(h, flow, grant, body)
  const stored = await h.stores.sessions.getSession(session.id)
  if (stored?.status !== 'completed') throw new Error(`${flow} did not complete`)
  return session.id
}

async function uninstall (h: Harness, businessId = BUSINESS) {
  const res = await postWebhook(h, appWebhookBody(APP_ID, 'business_integration_uninstall', businessIntegrationValue(businessId), Math.floor(Date.now() / 1000)))
  if (res.statusCode !== 200) throw new Error(`the notification answered ${res.statusCode}: ${res.body}`)
  return res.json()
}

async function deauthorize (h: Harness, userId: string) {
  const res = await postForm(h, '/meta/deauthorize', { signed_request: h.sim.signedRequest(signedRequestPayload(Math.floor(Date.now() / 1000), userId)) })
  if (res.statusCode !== 200) throw new Error(`deauthorize answered ${res.statusCode}: ${res.body}`)
  return res.json()
}

const sessionObject = async (h: Harness, id: string) => (await h.app.inject({ method: 'GET', url: `/v1/sessions/${id}`, headers: auth })).json()

for (const [name, options] of [['Redis', {}], ['the in-process store', { memory: true }]] as Array<[string, HarnessOptions]>) {
  t.test(`${name}: an uninstall revokes every completed session of the business, once, and names them in its app event`, async (t) => {
    const h = await build(t, options)
    const first = await completed(h, 'business_portfolio', { external_id: 'tenant-1', metadata: { plan: 'pro' } })
    const second = await completed(h, 'business_portfolio')
    const other = await completed(h, 'partner_billing')
    t.strictSame(await uninstall(h), { status: 'accepted', events: 3 }, 'one app event and two revocations')
    const events = await h.receiver.waitFor((e) => revokedOf(e).length === 2 && e.some((x) => x.type === 'meta.app_event'))
    t.strictSame(events.find((e) => e.type === 'meta.app_event')!.body.data.session_ids, [first, second])
    const revoked = revokedOf(events).find((e) => e.body.data.session_id === first)!
    const view = await sessionObject(h, first)
    t.equal(view.status, 'completed', 'a revoked session stays completed')
    t.type(view.revoked_at, 'string')
    t.strictSame(revoked.body.data, {
      session_id: first,
      external_id: 'tenant-1',
      metadata: { plan: 'pro' },
      flow: 'business_portfolio',
      business_id: BUSINESS,
      user_id: null,
      reason: 'business_integration_uninstall',
      revoked_at: view.revoked_at
    })
    t.equal((await sessionObject(h, other)).revoked_at, null, 'another business is untouched')

    // Meta delivers the notification again: nothing is revoked twice, and no session is named any more
    t.strictSame(await uninstall(h), { status: 'accepted', events: 1 })
    const again = await h.receiver.waitFor((e) => e.filter((x) => x.type === 'meta.app_event').length === 2)
    t.strictSame(again.filter((e) => e.type === 'meta.app_event')[1]!.body.data.session_ids, [], 'revoked sessions are no longer named')
    await new Promise((resolve) => setTimeout(resolve, 300))
    t.equal(revokedOf(h.receiver.events).length, 2, 'each session revoked once')
    t.equal((await sessionObject(h, first)).revoked_at, view.revoked_at, 'revoked_at unchanged')
    t.same(h.receiver.rejected, [])
  })

  t.test(`${name}: a deauthorize revokes the person's completed flow 2 sessions and cancels their expiry notices`, async (t) => {
    const h = await build(t, { ...options, env: { TOKEN_EXPIRY_NOTICE: '1s' } })
    h.sim.setLongLivedLifetime(3)
    const mine = await completed(h, 'asset_based', { external_id: 'tenant-9' })
    const someoneElse = await completed(h, 'asset_based', {}, { ...GRANTS.asset_based, userId: '10222270944530000' })
    const portfolio = await completed(h, 'business_portfolio')
    t.strictSame(await deauthorize(h, GRANTS.asset_based.userId!), { status: 'accepted', events: 2 })
    const events = await h.receiver.waitFor((e) => revokedOf(e).length === 1 && e.some((x) => x.type === 'meta.deauthorized'))
    const revoked = revokedOf(events)[0]!
    t.equal(revoked.body.data.session_id, mine)
    t.equal(revoked.body.data.reason, 'deauthorized')
    t.equal(revoked.body.data.user_id, GRANTS.asset_based.userId)
    t.equal(revoked.body.data.business_id, null)
    // the revoked session's notices were due in 2 and 3 s: none comes; the other person's still do
    await h.receiver.waitFor((e) => e.filter((x) => x.type === 'onboarding.token_expired' && x.body.data.session_id === someoneElse).length === 1, 10_000)
    t.equal(h.receiver.events.filter((e) => e.type.startsWith('onboarding.token_') && e.body.data.session_id === mine).length, 0, 'notices cancelled')
    t.equal((await sessionObject(h, portfolio)).revoked_at, null, 'a system-user session is not the person\'s')
    t.strictSame(await deauthorize(h, GRANTS.asset_based.userId!), { status: 'accepted', events: 1 }, 'a second deauthorize revokes nothing')
  })
}

t.test('a deauthorize for a person with no session, and an uninstall of an unknown business, revoke nothing', async (t) => {
  const h = await build(t)
  await completed(h, 'business_portfolio')
  t.strictSame(await deauthorize(h, '1234'), { status: 'accepted', events: 1 })
  t.strictSame(await uninstall(h, '777'), { status: 'accepted', events: 1 })
  await h.receiver.waitFor((e) => e.length === 3)
  t.equal(revokedOf(h.receiver.events).length, 0)
})

t.test('revocations counted in onboarding_events_total', async (t) => {
  const h = await build(t)
  await completed(h, 'business_portfolio')
  await uninstall(h)
  const metrics = await h.app.inject({ method: 'GET', url: '/metrics' })
  t.match(metrics.body, /onboarding_events_total\{type="revoked"\} 1/)
})
