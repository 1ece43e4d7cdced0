// The notices of a flow 2 token's expiry, through the real stack: the onboarding completes in the simulated
// Meta, whose long-lived tokens are made to expire in seconds, and the partner's receiver (which verifies every
// event with the standardwebhooks package) sees onboarding.token_expiring and onboarding.token_expired at
// their moments, once each: at once when already due, superseded by a later session of the same tenant or
// person, off with 0 (restarts and instances: expiry-notices-durability.test.ts).
import t, { type Test } from 'tap'
import { build, GRANTS, onboard, type Harness, type HarnessOptions } from '../helper.js'
import { assetBased, noticesOf } from './notice-fixtures.js'

for (const [name, options] of [['Redis', {}], ['the in-process store', { memory: true }]] as Array<[string, HarnessOptions]>) {
  t.test(`${name}: token_expiring at its moment before the expiry, token_expired at the expiry, each once`, async (t) => {
    const h = await build(t, { ...options, env: { TOKEN_EXPIRY_NOTICE: '2s' } })
    const { id, expiresAt } = await assetBased(h, 4, { external_id: 'tenant-42', metadata: { plan: 'pro' } })
    const events = await h.receiver.waitFor((e) => noticesOf(e, id).length === 2, 10_000)
    const [expiring, expired] = noticesOf(events, id)
    t.equal(expiring!.type, 'onboarding.token_expiring')
    t.equal(expired!.type, 'onboarding.token_expired')
    // each within 10 s of its moment, and never before it
    for (const [notice, moment] of [[expiring!, expiresAt - 2000], [expired!, expiresAt]] as const) {
      const sentAt = Date.parse(notice.body.timestamp)
      t.ok(sentAt >= moment - 50 && sentAt <= moment + 10_000, `${notice.type} ${sentAt - moment} ms after its moment`)
    }
    t.strictSame(expired!.body.data, {
      session_id: id,
      external_id: 'tenant-42',
      metadata: { plan: 'pro' },
      flow: 'asset_based',
      user_id: GRANTS.asset_based.userId,
      page_ids: ['1122334455'],
      ad_account_ids: ['act_20', 'act_300'],
      token_expires_at: new Date(expiresAt).toISOString()
    })
    t.notOk('access_token' in expired!.body.data, 'a notice never carries the token')
    await new Promise((resolve) => setTimeout(resolve, 500))
    t.equal(noticesOf(h.receiver.events, id).length, 2, 'each notice sent once')
    t.same(h.receiver.rejected, [], 'every event verified with standardwebhooks')
  })
}

t.test('a notice whose moment has already passed is sent at once; the expiry itself waits for its moment', async (t) => {
  const h = await build(t, { env: { TOKEN_EXPIRY_NOTICE: '100d' } })
  const started = Date.now()
  const { id } = await assetBased(h, 5_183_944)
  const events = await h.receiver.waitFor((e) => noticesOf(e, id).length === 1, 5000)
  t.equal(noticesOf(events, id)[0]!.type, 'onboarding.token_expiring')
  t.ok(Date.now() - started < 5000, 'sent at once')
  t.equal(await h.app.metrics.registry.getSingleMetricAsString('onboarding_events_total').then((m) => /type="token_expiring"} 1/.test(m)), true, 'counted')
})

t.test('TOKEN_EXPIRY_NOTICE=0 sends neither notice', async (t) => {
  const h = await build(t, { env: { TOKEN_EXPIRY_NOTICE: '0' } })
  const { id } = await assetBased(h, 1)
  await h.receiver.waitFor((e) => e.some((x) => x.type === 'onboarding.completed'))
  await new Promise((resolve) => setTimeout(resolve, 2500))
  t.equal(noticesOf(h.receiver.events, id).length, 0)
  t.equal(await h.redis.zcard(`${h.prefix}sessions:notices`), 0, 'nothing scheduled')
})

t.test('flow 1 and flow 3 tokens never expire: no notice is scheduled', async (t) => {
  const h = await build(t, { env: { TOKEN_EXPIRY_NOTICE: '100d' } })
  await onboard(h, 'business_portfolio', GRANTS.business_portfolio)
  await onboard(h, 'partner_billing', GRANTS.partner_billing)
  await h.receiver.waitFor((e) => e.filter((x) => x.type === 'onboarding.completed').length === 2)
  await new Promise((resolve) => setTimeout(resolve, 300))
  t.strictSame(h.receiver.events.map((e) => e.type), ['onboarding.completed', 'onboarding.completed'])
})

async function superseded (t: Test, later: (h: Harness) => Promise<unknown>, body: Record<string, unknown>) {
  const h = await build(t, { env: { TOKEN_EXPIRY_NOTICE: '1s' } })
  const earlier = await assetBased(h, 3, body)
  await later(h)
  const seen = h.receiver.events.length
  await new Promise((resolve) => setTimeout(resolve, 4000))
  t.equal(noticesOf(h.receiver.events, earlier.id).length, 0, 'the earlier session\'s notices were cancelled')
  return { h, seen }
}

t.test('a later completed session of the same external_id supersedes the earlier one, whatever its flow', async (t) => {
  await superseded(t, (h) => onboard(h, 'business_portfolio', GRANTS.business_portfolio, { external_id: 'tenant-7' }), { external_id: 'tenant-7' })
})

t.test('without external_id, a later completed session of the same person supersedes the earlier one, and sends its own', async (t) => {
  let later = ''
  const { h } = await superseded(t, async (h) => { later = (await assetBased(h, 3)).id }, {})
  t.equal(noticesOf(h.receiver.events, later).length, 2, 'the later session\'s own notices are sent')
})

t.test('a later session of another tenant, or a failed one of the same, supersedes nothing', async (t) => {
  const h = await build(t, { env: { TOKEN_EXPIRY_NOTICE: '1s' } })
  const earlier = await assetBased(h, 3, { external_id: 'tenant-a' })
  await onboard(h, 'business_portfolio', GRANTS.business_portfolio, { external_id: 'tenant-b' })
  await onboard(h, 'asset_based', 'deny', { external_id: 'tenant-a' })
  await h.receiver.waitFor((e) => noticesOf(e, earlier.id).length === 2, 10_000)
  t.pass('both notices of the earlier session were sent')
})
