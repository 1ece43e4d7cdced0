// What a copy of Redis (or a scrape of /metrics) would give away: no token, code, state, nonce, key or
// secret in clear — tokens sealed, states and nonces hashed, codes never stored.
import t from 'tap'
import { auth, Browser, build, createSession, GRANTS, keyContent, knownSecrets, leakedSecrets, onboard } from '../helper.js'

t.test('Redis and /metrics hold nothing usable after every kind of onboarding', async (t) => {
  const h = await build(t)
  // the first outcome is dead-lettered (410) and keeps its sealed body; its attempt is awaited so that no
  // later event, sent as soon as it is decided, takes the 410 instead
  h.receiver.plan.push(410)
  await onboard(h, 'asset_based', GRANTS.asset_based)
  await h.receiver.waitFor((e) => e.length >= 1)
  await onboard(h, 'business_portfolio', GRANTS.business_portfolio)
  await onboard(h, 'partner_billing', GRANTS.partner_billing)
  await onboard(h, 'business_portfolio', 'deny')
  // a login left half-way: its state and the browser's nonce are in Redis, hashed
  const pending = await createSession(h, { flow: 'business_portfolio' })
  await new Browser(h.app).get(pending.login_url)
  // a code submitted by a partner back end
  const viaCode = await createSession(h, { flow: 'business_portfolio' })
  await h.app.inject({ method: 'POST', url: `/v1/sessions/${viaCode.id}/code`, headers: auth, payload: { code: h.sim.issueCode(GRANTS.business_portfolio) } })
  await h.receiver.waitFor((e) => e.length >= 5, 5000)

  const secrets = knownSecrets(h)
  t.ok(secrets.some(([kind]) => kind === 'state or nonce'), 'the check knows the states and nonces')
  let dump = ''
  const keys = await h.redis.keys(`${h.prefix}*`)
  for (const key of keys) dump += `${key}\n${await keyContent(h.redis, key)}\n`
  t.ok(keys.some((k) => k.includes(':state:')) && keys.some((k) => k.includes(':event:')), `${keys.length} keys, states and sealed events among them`)
  t.same(leakedSecrets(dump, secrets), [], 'nothing secret in any Redis key or value')
  const metrics = (await h.app.inject('/metrics')).body
  t.same(leakedSecrets(metrics, secrets), [], 'nor in /metrics')
  t.notMatch(metrics, /ses_|evt_|https?:\/\//, 'no IDs or URLs as label values')
})
