// The real entry point as an operator runs it: `src/server.ts` in its own process, configured only through
// the environment, against the simulated Meta and a real Redis; all three flows over real HTTP; SIGTERM
// closes it cleanly.
import t from 'tap'
import { Redis } from 'ioredis'
import { API_KEY, APP_SECRET, GRANTS, REDIS_URL, startPeers, testEnv } from './helper.js'
import { freePort } from './redis-server.js'
import { spawnService } from './service-process.js'

// a database of its own, emptied afterwards: the process uses the default key prefix
const DB = 11
const redisUrl = `${REDIS_URL.replace(/\/\d*$/, '')}/${DB}`

t.test('the service process completes all three flows and exits cleanly on SIGTERM', async (t) => {
  const { sim, receiver } = await startPeers(t)
  const redis = new Redis(redisUrl)
  t.teardown(async () => { await redis.flushdb(); await redis.quit() })

  const port = await freePort()
  const base = `http://127.0.0.1:${port}`
  sim.registerRedirectUri(`${base}/oauth/callback`)
  const service = await spawnService(testEnv(sim, receiver.url, { PUBLIC_BASE_URL: base, REDIS_URL: redisUrl, NODE_ENV: 'production' }), port)
  t.teardown(() => service.stop('SIGKILL'))

  for (const flow of ['business_portfolio', 'asset_based', 'partner_billing'] as const) {
    const created = await fetch(`${base}/v1/sessions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ flow, external_id: `tenant-${flow}`, return_url: 'https://app.example.com/done' })
    })
    t.equal(created.status, 201, `${flow}: session created`)
    const session = await created.json() as { id: string; login_url: string }
    const login = await fetch(session.login_url, { redirect: 'manual' })
    t.equal(login.status, 302)
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!
    const callbackUrl = sim.approve(login.headers.get('location')!, GRANTS[flow])
    const back = await fetch(callbackUrl, { redirect: 'manual', headers: { cookie } })
    t.equal(back.status, 303)
    t.equal(back.headers.get('location'), `https://app.example.com/done?session_id=${session.id}&status=completed`)
    const events = await receiver.waitFor((e) => e.some((x) => x.body.data.session_id === session.id))
    t.equal(events.find((x) => x.body.data.session_id === session.id)!.body.data.flow, flow)
  }
  t.equal(receiver.rejected.length, 0)
  const metrics = await (await fetch(`${base}/metrics`)).text()
  t.match(metrics, /onboarding_sessions_total\{flow="partner_billing",outcome="completed",error=""\} 1/)
  t.match(metrics, /webhook_attempts_total\{outcome="delivered"\} 3/)

  t.equal(await service.stop('SIGTERM'), 0, 'graceful exit')
  t.notMatch(service.output(), new RegExp(APP_SECRET), 'the app secret never reaches the output')
  t.match(service.output(), /"msg":"closing"/)
})
