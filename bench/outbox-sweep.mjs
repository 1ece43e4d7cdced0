// What the outbox sweep costs while deliveries wait on a partner's endpoint that is down (not a test): the service
// idle, with 0, 10,000 and 100,000 pending deliveries in Redis, every one an hour old with its retry a day away
// (so the sweep looks at each and finds its job). CPU of the service per minute, over BENCH_SECONDS (60).
// Run: npm run bench:sweep   (needs Redis, BENCH_REDIS_URL, default redis://127.0.0.1:6379; prefix bench:…, removed)
import { randomBytes } from 'node:crypto'
import { cpus } from 'node:os'
import { Redis } from 'ioredis'
import { buildApp } from '../dist/app.js'
import { loadConfig } from '../dist/config/config.js'
import { deleteKeys, serviceVariables } from './bench-common.mjs'
import { seedPending } from './pending-deliveries.mjs'

const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379'
const SECONDS = Number(process.env.BENCH_SECONDS ?? 60)
const BACKLOGS = (process.env.BENCH_PENDING ?? '0,10000,100000').split(',').map(Number)
const DAY_MS = 86_400_000

const redis = new Redis(REDIS_URL)
const key = randomBytes(32).toString('base64')
// nothing is delivered during the run: every job waits a day
const config = loadConfig({ ...serviceVariables({ tokenKey: key }), LOG_LEVEL: 'warn' })
console.log(`node ${process.version}, ${cpus()[0].model} x${cpus().length}; the service idle for ${SECONDS} s per backlog; outbox sweep every 10 s, 1000 deliveries a pass`)
for (const count of BACKLOGS) {
  const prefix = `bench:${process.pid}:${count}:`
  try {
    await seedPending({ redisUrl: REDIS_URL, prefix, key, count, delayMs: DAY_MS, ageMs: 3600_000 })
    const app = await buildApp(config, { redis, redisKeyPrefix: prefix })
    await app.ready()
    // the first pass runs at start-up; measured from the next
    await new Promise((resolve) => setTimeout(resolve, 2000))
    const before = process.cpuUsage()
    await new Promise((resolve) => setTimeout(resolve, SECONDS * 1000))
    const used = process.cpuUsage(before)
    const perMinute = (used.user + used.system) / 1000 / (SECONDS / 60)
    const { pending } = await app.stores.deliveries.deliveryStats()
    await app.close()
    console.log(`${String(count).padStart(7)} pending: ${perMinute.toFixed(0).padStart(5)} CPU-ms per minute (${pending} still pending)`)
  } finally {
    await deleteKeys(redis, prefix)
  }
}
await redis.quit()
