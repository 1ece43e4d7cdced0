// Pending deliveries written exactly as the service writes them (delivery record, sealed body, pending index)
// with their BullMQ jobs, for the benchmarks: a backlog to drain (bench/webhook-delivery.mjs) or one waiting on
// a partner's endpoint that is down (bench/logins.mjs: every job delayed, every delivery an hour old).
// Seeding runs in a process of its own, so that what it costs is not counted as the service's:
//   node bench/pending-deliveries.mjs <redis URL> <key prefix> <TOKEN_ENCRYPTION_KEY> <count> [job delay ms] [age ms]
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { randomBytes } from 'node:crypto'
import { Queue } from 'bullmq'
import { Redis } from 'ioredis'
import { TokenSealer } from '../dist/lib/token-sealer.js'

const BATCH = 1000

async function seed (redis, prefix, sealer, count, delayMs, ageMs) {
  const queue = new Queue('webhooks', { connection: redis, prefix: `${prefix}bull` })
  const createdMs = Date.now() - ageMs
  const created = new Date(createdMs).toISOString()
  for (let start = 0; start < count; start += BATCH) {
    const multi = redis.multi()
    const jobs = []
    for (let i = start; i < Math.min(count, start + BATCH); i++) {
      const id = `evt_${randomBytes(16).toString('hex')}`
      const body = JSON.stringify({ type: 'onboarding.completed', timestamp: created, data: { session_id: `ses_${randomBytes(16).toString('hex')}`, access_token: `EAA${randomBytes(40).toString('base64url')}`, business_id: '1234567890', page_ids: ['1'], ad_account_ids: ['act_2'] } })
      const delivery = { id, type: 'onboarding.completed', session_id: 'ses_bench', status: 'pending', attempts: ageMs > 0 ? 5 : 0, last_error: null, created_at: created, updated_at: created }
      multi.set(`${prefix}delivery:${id}`, JSON.stringify(delivery), 'EX', 86_400)
      multi.set(`${prefix}event:${id}`, sealer.seal(body, id), 'EX', 86_400)
      multi.zadd(`${prefix}deliveries:pending`, createdMs, id)
      jobs.push({ name: 'webhooks', data: { id }, opts: { jobId: id, delay: delayMs, removeOnComplete: true, removeOnFail: true, attempts: Number.MAX_SAFE_INTEGER, backoff: { type: 'fixed', delay: 5000 } } })
    }
    await multi.exec()
    await queue.addBulk(jobs)
  }
  await queue.close()
}

/** seeds `count` pending deliveries from another process; `key` is the service's TOKEN_ENCRYPTION_KEY (base64) */
export async function seedPending ({ redisUrl, prefix, key, count, delayMs = 0, ageMs = 0 }) {
  const child = spawn(process.execPath, [new URL(import.meta.url).pathname, redisUrl, prefix, key, String(count), String(delayMs), String(ageMs)], { stdio: 'inherit' })
  const [code] = await once(child, 'exit')
  if (code !== 0) throw new Error(`seeding failed with ${code}`)
}

if (process.argv[1] === new URL(import.meta.url).pathname) {
  const [redisUrl, prefix, key, count, delayMs = '0', ageMs = '0'] = process.argv.slice(2)
  const redis = new Redis(redisUrl)
  await seed(redis, prefix, new TokenSealer([Buffer.from(key, 'base64')]), Number(count), Number(delayMs), Number(ageMs))
  await redis.quit()
}
