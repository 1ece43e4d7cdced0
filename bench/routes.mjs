// CPU per request of each route a login goes through, the product beside the reference (not a test), for the
// per-login budget in bench/README.md: POST /v1/sessions alone, then GET /login/{id} alone (on sessions made
// beforehand), each BENCH_REQUESTS (3000) times at BENCH_CONCURRENCY (16) in flight; the server pinned to core 0,
// the load to core 1. The callback needs Meta and is measured whole by bench/logins.mjs.
// Run: npm run build && node bench/routes.mjs   (Redis: BENCH_REDIS_URL, default redis://127.0.0.1:6379/15, emptied)
import { once } from 'node:events'
import { randomBytes } from 'node:crypto'
import { Agent, request } from 'undici'
import { Redis } from 'ioredis'
import { cpuMs, serviceVariables, startPinned } from './bench-common.mjs'

const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379/15'
const N = Number(process.env.BENCH_REQUESTS ?? 3000)
const C = Number(process.env.BENCH_CONCURRENCY ?? 16)
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2)
const apiKey = randomBytes(24).toString('hex')

/** CPU ms of the server per request, `n` requests `C` at a time */
async function load (pid, n, send) {
  for (let i = 0; i < 100; i++) await send(i)
  const before = cpuMs(pid)
  let next = 100
  await Promise.all(Array.from({ length: C }, async () => { while (next < n + 100) await send(next++) }))
  return (cpuMs(pid) - before) / n
}

const redis = new Redis(REDIS_URL)
const results = { product: { create: [], login: [] }, reference: { create: [], login: [] } }
try {
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, script, port] of [['product', 'dist/server.js', 3500], ['reference', 'bench/reference-server.mjs', 3600]]) {
      await redis.flushdb()
      // Meta and the webhook are nowhere: these two routes call neither
      const env = serviceVariables({ port, redisUrl: REDIS_URL, apiKey })
      const child = await startPinned(script, env)
      const agent = new Agent({ connections: C * 2 })
      const base = `http://127.0.0.1:${port}`
      const ids = []
      results[name].create.push(await load(child.pid, N, async () => {
        const res = await request(`${base}/v1/sessions`, { method: 'POST', dispatcher: agent, headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' }, body: '{"flow":"business_portfolio","return_url":"http://localhost:4000/done"}' })
        ids.push((await res.body.json()).login_url)
      }))
      results[name].login.push(await load(child.pid, N, async (i) => {
        const res = await request(ids[i % ids.length], { dispatcher: agent })
        await res.body.dump()
        if (res.statusCode !== 302) throw new Error(`login answered ${res.statusCode}`)
      }))
      child.kill('SIGTERM')
      await once(child, 'exit')
      await agent.close()
    }
  }
} finally {
  await redis.flushdb()
  await redis.quit()
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
console.log(`CPU µs per request at ${C} in flight, median of ${ROUNDS} rounds (${N} requests each)`)
for (const route of ['create', 'login']) {
  const p = median(results.product[route]) * 1000
  const r = median(results.reference[route]) * 1000
  console.log(`${route === 'create' ? 'POST /v1/sessions  ' : 'GET /login/{id}    '} product ${p.toFixed(0).padStart(5)}   reference ${r.toFixed(0).padStart(5)}   ${(p / r).toFixed(2)}×`)
}
