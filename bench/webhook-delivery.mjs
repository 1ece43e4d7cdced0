// Webhook delivery benchmark (not a test): deliveries per second to a receiver on loopback, then a backlog
// of 100,000 queued events drained while the service's RSS is sampled. Run: npm run bench:webhooks
// Needs Redis (BENCH_REDIS_URL, default redis://127.0.0.1:6379); uses the key prefix bench:… and removes it.
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { randomBytes } from 'node:crypto'
import { Redis } from 'ioredis'
import { buildApp } from '../dist/app.js'
import { loadConfig } from '../dist/config/config.js'
import { deleteKeys, serviceVariables } from './bench-common.mjs'
import { seedPending } from './pending-deliveries.mjs'

const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379'
const THROUGHPUT_EVENTS = Number(process.env.BENCH_EVENTS ?? 20_000)
const BACKLOG_EVENTS = Number(process.env.BENCH_BACKLOG ?? 100_000)
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32)

const mb = (bytes) => (bytes / 1024 / 1024).toFixed(1)

/** the partner's endpoint in its own process, so its memory is not counted as the service's */
async function startReceiver () {
  const child = spawn(process.execPath, ['-e', `
    const http = require('node:http')
    const server = http.createServer((req, res) => { req.resume(); req.on('end', () => { res.writeHead(204); res.end() }) })
    server.keepAliveTimeout = 60000
    server.listen(0, '127.0.0.1', () => process.stdout.write(String(server.address().port) + '\\n'))
  `], { stdio: ['ignore', 'pipe', 'inherit'] })
  const [line] = await once(child.stdout, 'data')
  return { url: `http://127.0.0.1:${String(line).trim()}/hooks`, stop: () => child.kill() }
}

async function drain (app, count, label) {
  const started = performance.now()
  let peakRss = process.memoryUsage().rss
  const samples = []
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 100))
    const rss = process.memoryUsage().rss
    peakRss = Math.max(peakRss, rss)
    const { pending } = await app.stores.deliveries.deliveryStats()
    const done = count - pending
    if (samples.length === 0 || done - samples[samples.length - 1].done >= count / 10 || pending === 0) samples.push({ done, rss })
    if (pending === 0) break
  }
  const seconds = (performance.now() - started) / 1000
  console.log(`${label}: ${count} deliveries in ${seconds.toFixed(1)} s = ${Math.round(count / seconds)} deliveries/s; peak RSS ${mb(peakRss)} MB`)
  return { seconds, peakRss, samples }
}

// seeding runs in a child process, so the RSS measured below is the service's own
const seedElsewhere = (prefix, key, count) => seedPending({ redisUrl: REDIS_URL, prefix, key: key.toString('base64'), count })

const redis = new Redis(REDIS_URL)
const prefix = `bench:${process.pid}:`
const receiver = await startReceiver()
const key = randomBytes(32)
const config = loadConfig({ ...serviceVariables({ webhookUrl: receiver.url, tokenKey: key.toString('base64') }), LOG_LEVEL: 'warn' })
try {
  console.log(`node ${process.version}, ${(await import('node:os')).cpus()[0].model} x${(await import('node:os')).cpus().length}, worker concurrency ${CONCURRENCY}`)
  // 1. throughput: events queued first, then one instance drains them
  await seedElsewhere(prefix, key, THROUGHPUT_EVENTS)
  let app = await buildApp(config, { redis, redisKeyPrefix: prefix, deliveryConcurrency: CONCURRENCY })
  await app.ready()
  await drain(app, THROUGHPUT_EVENTS, 'throughput')
  await app.close()

  // 2. a backlog of 100,000: memory must stay flat while it drains
  const seedStarted = performance.now()
  await seedElsewhere(prefix, key, BACKLOG_EVENTS)
  console.log(`backlog of ${BACKLOG_EVENTS} seeded in ${((performance.now() - seedStarted) / 1000).toFixed(1)} s`)
  const rssBefore = process.memoryUsage().rss
  app = await buildApp(config, { redis, redisKeyPrefix: prefix, deliveryConcurrency: CONCURRENCY })
  await app.ready()
  const backlog = await drain(app, BACKLOG_EVENTS, 'backlog')
  console.log(`RSS before the service started ${mb(rssBefore)} MB; while draining (delivered → RSS): ${backlog.samples.map((s) => `${s.done}→${mb(s.rss)}`).join(', ')} MB`)
  await app.close()
} finally {
  await deleteKeys(redis, prefix)
  await redis.quit()
  receiver.stop()
}
