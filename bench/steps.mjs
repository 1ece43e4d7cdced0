// What each step of a login costs this process, one step at a time (not a test): CPU µs per operation over many
// iterations, for the per-login budget in bench/README.md. Pin it to one core for steadier figures:
//   npm run build && taskset -c 0 node bench/steps.mjs
// Redis steps need a Redis (BENCH_REDIS_URL, default redis://127.0.0.1:6379/15; keys bench-steps:*, removed).
import { createHash, randomBytes } from 'node:crypto'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { cpus } from 'node:os'
import { Writable } from 'node:stream'
import pino from 'pino'
import { Redis } from 'ioredis'
import { Agent, request } from 'undici'
import { buildApp } from '../dist/app.js'
import { deleteKeys, serviceVariables } from './bench-common.mjs'
import { loadConfig } from '../dist/config/config.js'
import { loggerOptions } from '../dist/http/plugins/request-log.js'
import { Deadline } from '../dist/lib/deadline.js'
import { TokenSealer } from '../dist/lib/token-sealer.js'
import { appsecretProof } from '../dist/meta/appsecret-proof.js'
import { WebhookSigner } from '../dist/webhooks/signer.js'

const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379/15'
const cpuUs = () => { const u = process.cpuUsage(); return u.user + u.system }

/** CPU µs per call of `step`, `n` calls in all, `concurrency` at a time (for steps that wait on I/O) */
async function measure (label, n, step, concurrency = 1) {
  for (let i = 0; i < Math.min(200, n / 10); i++) await step(i) // warm-up
  const started = cpuUs()
  let next = 0
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < n) await step(next++)
  }))
  const us = (cpuUs() - started) / n
  console.log(`${label.padEnd(62)} ${us.toFixed(1).padStart(7)} µs`)
  return us
}

console.log(`node ${process.version}; ${cpus()[0].model} x${cpus().length}; CPU µs per operation of this process`)
const token = `EAA${randomBytes(150).toString('base64url')}`
const body = JSON.stringify({ type: 'onboarding.completed', timestamp: new Date().toISOString(), data: { session_id: `ses_${randomBytes(16).toString('hex')}`, access_token: token, business_id: '1234567890', page_ids: ['102345678901234'], ad_account_ids: ['act_1234567890123456'], scopes: ['ads_management', 'pages_messaging', 'paid_marketing_messages'] } })
const sealer = new TokenSealer([randomBytes(32)])
const sealed = sealer.seal(body, 'evt_x')
const signer = new WebhookSigner([`whsec_${randomBytes(32).toString('base64')}`])
const secret = randomBytes(16).toString('hex')

await measure('seal an event body (AES-256-GCM)', 20_000, () => sealer.seal(body, 'evt_x'))
await measure('open it', 20_000, () => sealer.open(sealed, 'evt_x'))
await measure('Standard Webhooks signature (standardwebhooks, one secret)', 20_000, () => signer.headers('evt_x', body, new Date()))
await measure('appsecret_proof (HMAC-SHA256)', 50_000, () => appsecretProof(token, secret))
await measure('SHA-256 of a state or nonce', 50_000, () => createHash('sha256').update(token.slice(0, 80)).digest('hex'))
await measure('random state (256 bits, base64url)', 50_000, () => randomBytes(32).toString('base64url'))
await measure('JSON.stringify + parse of a session record', 20_000, () => JSON.parse(JSON.stringify(JSON.parse(body))))
// the service's logger options (serializers, redaction) writing into a stream that drops the line
const sink = new Writable({ write (_chunk, _enc, done) { done() } })
const { stream: _stream, ...options } = loggerOptions('info')
const log = pino(options, sink)
await measure('one request log line (pino, the service\'s options)', 20_000, () => log.info({ method: 'GET', route: '/oauth/callback', path: '/oauth/callback', status: 303, ms: 12.3, ip: '127.0.0.1', session_id: 'ses_0123456789abcdef0123456789abcdef', reqId: 'abc' }, 'request'))

const redis = new Redis(REDIS_URL)
redis.defineCommand('benchScript', { numberOfKeys: 2, lua: "redis.call('SET', KEYS[1], ARGV[1], 'EX', 60) redis.call('ZADD', KEYS[2], 1, ARGV[2]) return 1" })
const value = 'x'.repeat(600)
for (const c of [1, 16]) {
  await measure(`Redis SET, ${String(c).padStart(2)} in flight`, 5000, (i) => redis.set(`bench-steps:k${i % 100}`, value, 'EX', 60), c)
  await measure(`Redis script (SET + ZADD, EVALSHA), ${String(c).padStart(2)} in flight`, 5000, (i) => redis.benchScript(`bench-steps:s${i % 100}`, 'bench-steps:z', value, `m${i % 100}`), c)
}
await redis.del('bench-steps:z', ...Array.from({ length: 100 }, (_, i) => [`bench-steps:k${i}`, `bench-steps:s${i}`]).flat())

// the work of the two simple routes without HTTP: the service's own handlers, in process, on this Redis
const prefix = `bench-steps:${process.pid}:`
const app = await buildApp(loadConfig({ ...serviceVariables(), LOG_LEVEL: 'warn' }), { redis, redisKeyPrefix: prefix })
await app.ready()
const { sessions, logins } = app.onboarding
const created = []
for (const c of [1, 16]) {
  await measure(`Sessions.create (POST /v1/sessions without HTTP), ${String(c).padStart(2)} in flight`, 3000, async () => { created.push((await sessions.create({ flow: 'business_portfolio', return_url: 'http://localhost:4000/done' })).id) }, c)
  await measure(`Onboarding.startLogin (GET /login without HTTP), ${String(c).padStart(2)} in flight`, 3000, (i) => logins.startLogin(created[i % created.length], randomBytes(32).toString('base64url')), c)
}
await app.close()
await deleteKeys(redis, prefix)
await redis.quit()

// an HTTP server in a process of its own, so only the client's side is counted
const server = spawn(process.execPath, ['-e', `
  const http = require('node:http')
  const s = http.createServer((req, res) => { req.resume(); req.on('end', () => { res.writeHead(200, { 'content-type': 'application/json' }); res.end('{"data":{"is_valid":true,"app_id":"1","scopes":["a","b","c"]}}') }) })
  s.keepAliveTimeout = 60000
  s.listen(0, '127.0.0.1', () => process.stdout.write(String(s.address().port) + '\\n'))
`], { stdio: ['ignore', 'pipe', 'inherit'] })
const [port] = await once(server.stdout, 'data')
const agent = new Agent({ connections: 32 })
const url = `http://127.0.0.1:${String(port).trim()}/v26.0/debug_token?input_token=x`
for (const c of [1, 16]) {
  await measure(`undici GET + JSON body (a Meta call's client side), ${String(c).padStart(2)} in flight`, 4000, async () => (await request(url, { dispatcher: agent })).body.json(), c)
  await measure('  the same with AbortSignal.timeout(10000)', 4000, async () => (await request(url, { dispatcher: agent, signal: AbortSignal.timeout(10_000) })).body.json(), c)
  await measure('  the same with the service\'s Deadline (lib/deadline.ts)', 4000, async () => {
    const deadline = new Deadline(10_000)
    try { return await (await request(url, { dispatcher: agent, signal: deadline })).body.json() } finally { deadline.clear() }
  }, c)
}
await agent.close()
server.kill()
