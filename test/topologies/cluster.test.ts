// The service on a real three-master Redis Cluster (REDIS_CLUSTER_NODES, its own ioredis Cluster client): the
// three flows, records spread over every master, no token in clear on any node, and two instances delivering
// hundreds of events through a receiver outage with none lost or doubled.
import t from 'tap'
import { buildApp } from '../../src/app.js'
import { build, GRANTS, keyContent, knownSecrets, leakedSecrets, LogCapture, onboard, submitCode } from '../helper.js'
import { nodeClient, startCluster } from '../redis-topologies.js'

t.test('the three flows on a cluster; records on every master, no token in clear on any', async (t) => {
  const cluster = await startCluster(t)
  const h = await build(t, { env: { REDIS_CLUSTER_NODES: cluster.nodes } })
  t.equal((await h.app.inject('/readyz')).statusCode, 200, 'ready')
  for (const flow of ['business_portfolio', 'asset_based', 'partner_billing'] as const) {
    const { session, callback } = await onboard(h, flow, GRANTS[flow], { return_url: 'https://app.example.com/done' })
    t.equal(callback.statusCode, 303, `${flow}: back to the partner (${callback.statusCode} ${callback.body.slice(0, 300)})`)
    t.match(callback.headers.location, /status=completed/, `${flow}: completed`)
    await h.receiver.waitFor((e) => e.some((x) => x.type === 'onboarding.completed' && x.body.data.session_id === session.id), 5000)
  }
  // refused browser requests count in Redis (the refusal limit's counter, one key per client and window)
  const refused = await h.app.inject('/oauth/callback?state=not-a-state&code=x')
  t.equal(refused.statusCode, 400, 'a bad state is refused with a page, the refusal counted on the cluster')
  const more = await Promise.all(Array.from({ length: 30 }, () => submitCode(h)))
  t.ok(more.every((id) => id !== null), '30 more outcomes accepted')
  await h.receiver.waitFor((e) => e.filter((x) => x.type === 'onboarding.completed').length >= 33, 10_000)

  let everything = ''
  for (const port of cluster.ports) {
    const node = nodeClient(t, port)
    const keys: string[] = []
    let cursor = '0'
    do {
      const [next, batch] = await node.scan(cursor, 'MATCH', `${h.prefix}*`, 'COUNT', 1000)
      keys.push(...batch)
      cursor = next
    } while (cursor !== '0')
    t.ok(keys.some((k) => k.startsWith(`${h.prefix}session:`)), `the master on ${port} keeps sessions (${keys.length} keys)`)
    for (const key of keys) everything += `${key}\n${await keyContent(node, key)}\n`
  }
  t.same(leakedSecrets(everything, knownSecrets(h)), [], 'no token, code or secret in clear on any node')
})

t.test('two instances on a cluster: 300 events, each attempted once; a receiver outage loses none', async (t) => {
  const cluster = await startCluster(t)
  const h = await build(t, { env: { REDIS_CLUSTER_NODES: cluster.nodes, WEBHOOK_RETRY_SCHEDULE: '100ms,200ms,500ms,1s,1s,1s,1s,1s' } })
  const logs2 = new LogCapture()
  const second = await buildApp(h.config, { redisKeyPrefix: h.prefix, logStream: logs2, drainTimeoutMs: 500 })
  t.teardown(() => second.close())
  const apps = [h.app, second]
  const run = async (count: number): Promise<string[]> => {
    const accepted: string[] = []
    let next = 0
    await Promise.all(Array.from({ length: 16 }, async () => {
      while (next < count) {
        const id = await submitCode({ app: apps[next++ % 2]!, sim: h.sim })
        if (id) accepted.push(id)
      }
    }))
    return accepted
  }
  const attempts = () => (h.logs.text + '\n' + logs2.text).split('\n').filter((l) => l.includes('"webhook attempt"')).length

  const first = await run(200)
  t.equal(first.length, 200, 'every outcome accepted')
  await h.receiver.waitFor((e) => e.length >= 200, 30_000)
  await new Promise((resolve) => setTimeout(resolve, 500))
  t.equal(h.receiver.events.length, 200, 'each event received once')
  t.equal(attempts(), 200, 'each acknowledged at once was attempted exactly once, across both instances')

  await h.receiver.close()
  const during = await run(100)
  t.equal(during.length, 100, 'outcomes accepted while the partner is down')
  await new Promise((resolve) => setTimeout(resolve, 300))
  await h.receiver.start()
  await h.receiver.waitFor((e) => e.length >= 300, 30_000)
  await new Promise((resolve) => setTimeout(resolve, 1500))
  const byId = new Map<string, number>()
  for (const e of h.receiver.events) byId.set(e.id, (byId.get(e.id) ?? 0) + 1)
  t.equal(byId.size, 300, '300 distinct events')
  t.same([...byId.values()].filter((n) => n > 1), [], 'none received twice')
  t.same(new Set(h.receiver.events.map((e) => e.body.data.session_id)), new Set([...first, ...during]), 'every accepted outcome delivered')
})
