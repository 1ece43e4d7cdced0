// CPU per request of each route a login goes through, the product beside the reference (not a test), for the
// per-login budget in bench/README.md: POST /v1/sessions alone, then GET /login/{id} alone (on sessions made
// beforehand), each BENCH_REQUESTS (3000) times at BENCH_CONCURRENCY (16) in flight; the server pinned to core 0,
// the load to core 1. The callback needs Meta and is measured whole by bench/logins.mjs.
// Run: npm run build && node bench/routes.mjs   (Redis: BENCH_REDIS_URL, default redis://127.0.0.1:6379/15, emptied)
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { readFileSync } from 'node:fs'
import { randomBytes } from 'node:crypto'
import { Agent, request } from 'undici'
import { Redis } from 'ioredis'

const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379/15'
const N = Number(process.env.BENCH_REQUESTS ?? 3000)
const C = Number(process.env.BENCH_CONCURRENCY ?? 16)
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2)
const ROOT = new URL('..', import.meta.url).pathname
const cpuMs = (pid) => {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')
  return (Number(f[11]) + Number(f[12])) * 10
}

const apiKey = randomBytes(24).toString('hex')
const env = (port) => ({
  ...process.env,
  PORT: String(port),
  HOST: '127.0.0.1',
  PUBLIC_BASE_URL: `http://127.0.0.1:${port}`,
  META_APP_ID: '100000000000001',
  META_APP_SECRET: randomBytes(16).toString('hex'),
  META_CONFIG_ID_BUSINESS_PORTFOLIO: '900000000000001',
  // no Meta call is made by these two routes
  META_GRAPH_URL: 'http://127.0.0.1:9',
  META_API_URL: 'http://127.0.0.1:9',
  META_DIALOG_URL: 'http://127.0.0.1:9',
  WEBHOOK_URL: 'http://127.0.0.1:9/hooks',
  WEBHOOK_SECRET: `whsec_${randomBytes(32).toString('base64')}`,
  PARTNER_API_KEYS: apiKey,
  TOKEN_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
  COOKIE_SECRET: randomBytes(24).toString('hex'),
  RETURN_URL_ORIGINS: 'http://localhost:4000',
  REDIS_URL,
  RATE_LIMIT_BROWSER_PER_MINUTE: '0',
  RATE_LIMIT_API_PER_MINUTE: '0',
  NODE_ENV: 'production'
})

async function start (script, port) {
  const child = spawn('taskset', ['-c', '0', process.execPath, script], { cwd: ROOT, env: env(port), stdio: ['ignore', 'ignore', 'inherit'] })
  for (let i = 0; i < 100; i++) {
    if (await request(`http://127.0.0.1:${port}/healthz`).then((r) => r.body.dump().then(() => true), () => false)) return child
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error(`${script} did not start`)
}

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
      const child = await start(script, port)
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
