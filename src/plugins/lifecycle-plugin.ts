// What follows a completed onboarding: provisioning (BullMQ queue `provisioning`: Page subscription, Page tokens,
// readiness), the expiry notices of flow 2 tokens (queue `lifecycle`), and revocations. Each kind of durable work
// has a sweep that queues what an instance left without a job. Registered after the delivery plugin and before
// the onboarding plugin, whose completed outcomes set these going: it closes after the onboarding and before the
// deliveries drain.
import fp from 'fastify-plugin'
import type { Dispatcher } from 'undici'
import type { Config } from '../config/config.js'
import { DueSweep } from '../jobs/due-sweep.js'
import type { JobQueue } from '../jobs/job-queue.js'
import { createJobQueue } from '../jobs/job-queues.js'
import { LocalFirstQueue } from '../jobs/local-first-queue.js'
import { ExpiryNotices } from '../lifecycle/expiry-notices.js'
import { Revocations } from '../lifecycle/revocations.js'
import { MetaClient } from '../meta/meta-client.js'
import type { CompletedFollowUps } from '../onboarding/outcomes.js'
import { Provisioning } from '../provisioning/provisioning.js'
import { TokenVault } from '../sessions/token-vault.js'
import type { SessionRecord } from '../store/records.js'

declare module 'fastify' {
  interface FastifyInstance {
    lifecycle: {
      followUps: CompletedFollowUps
      revocations: Revocations
      /** whether this instance provisions sessions and sends notices: what /readyz reports */
      health: JobQueue['health']
    }
  }
}

export interface LifecyclePluginOptions {
  config: Config
  keyPrefix: string
  dispatcher?: Dispatcher | undefined
  now: () => number
  sweepIntervalMs?: number | undefined
}

const SWEEP_INTERVAL_MS = 10_000
/** an item due less than this long ago is being queued by the outcome that recorded it */
const SWEEP_GRACE_MS = 5000
const CONCURRENCY = 8
/** first attempts in flight in this instance (each a few Meta calls); beyond that they go to the queue */
const FIRST_ATTEMPTS_IN_FLIGHT = 64

export default fp<LifecyclePluginOptions>(async function lifecycle (app, o) {
  const { config, now } = o
  const { stores, redis, sealer, metrics, delivery: { outbox } } = app
  const meta = new MetaClient({ ...config.meta, dispatcher: o.dispatcher, metrics, now })
  // one provisioning attempt: a few Meta calls per Page and ad account, each within its own budget
  const attemptMs = 3 * config.meta.timeoutMs
  const claimMs = attemptMs + 10_000
  const provisioning = new Provisioning({
    meta,
    config,
    sessions: stores.sessions,
    tokens: new TokenVault(stores.sessions, sealer, config.retentionSeconds),
    outbox,
    metrics,
    claimMs,
    log: app.log,
    now
  })
  const notices = new ExpiryNotices({ config, sessions: stores.sessions, outbox, metrics, log: app.log, now })
  const spec = { redis, keyPrefix: o.keyPrefix, log: app.log, lockDurationMs: attemptMs + 5000, concurrency: CONCURRENCY }
  // the first attempt is made here, at once, with what the outcome holds; BullMQ carries only the retries
  const provisioningQueue = new LocalFirstQueue<{ session: SessionRecord; accessToken: string }>({
    queue: await createJobQueue({ ...spec, name: 'provisioning', attempt: (id) => provisioning.attempt(id) }),
    attempt: (_id, { session, accessToken }) => provisioning.attemptFirst(session, accessToken),
    log: app.log,
    maxInFlight: FIRST_ATTEMPTS_IN_FLIGHT,
    name: 'provisioning',
    logKey: 'session_id',
    afterFailureMs: 5000
  })
  const noticeQueue = await createJobQueue({ ...spec, name: 'lifecycle', attempt: (id) => notices.attempt(id) })
  const sweep = { intervalMs: o.sweepIntervalMs ?? SWEEP_INTERVAL_MS, graceMs: SWEEP_GRACE_MS, log: app.log, now }
  const sweeps = [
    // a provisioning due has no job while its first attempt runs in the instance that recorded it: the sweep
    // waits longer than that attempt can take (its claim) before it queues one
    new DueSweep({ ...sweep, graceMs: claimMs, name: 'provisioning sweep', due: (before, limit) => stores.sessions.dueProvisioning(before, limit), queue: provisioningQueue }),
    new DueSweep({ ...sweep, name: 'notice sweep', due: (before, limit) => stores.sessions.dueNotices(before, limit), queue: noticeQueue })
  ]

  const followUps: CompletedFollowUps = {
    plan (session) {
      const provisioned = provisioning.plan(session)
      return { session: provisioned.session, followUps: { ...provisioned.followUps, ...notices.plan(provisioned.session) } }
    },
    async start (session, planned, accessToken) {
      if (planned.provisioningDueAt !== undefined) provisioningQueue.attemptNow(session.id, { session, accessToken })
      await notices.schedule(noticeQueue, planned)
    }
  }
  app.decorate('lifecycle', {
    followUps,
    revocations: new Revocations({ config, sessions: stores.sessions, outbox, metrics, log: app.log, now }),
    health: () => [provisioningQueue.health(), noticeQueue.health()].find((h) => h.status !== 'ok') ?? provisioningQueue.health()
  })
  app.addHook('onReady', async () => { for (const s of sweeps) s.start() })
  app.addHook('onClose', async () => {
    await Promise.all(sweeps.map((s) => s.stop()))
    await Promise.all([provisioningQueue.close(attemptMs), noticeQueue.close(attemptMs)])
  })
}, { name: 'lifecycle', dependencies: ['store', 'metrics', 'delivery'] })
