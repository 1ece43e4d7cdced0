// The onboarding: the Meta client, the sessions the partner opens, the browser's way from login to outcome, and
// the scheduled attempts that finish a session left processing (BullMQ queue `onboarding`, or in-process timers
// without Redis, with a sweep for what an instance left behind). Outcomes enter the delivery plugin's outbox,
// as do Meta's data deletion requests. Registered after the delivery plugin, it closes before it: no attempt
// decides an outcome once the deliveries drain.
import fp from 'fastify-plugin'
import type { Dispatcher } from 'undici'
import type { Config } from '../config/config.js'
import { DataDeletions } from '../data-deletion/data-deletions.js'
import { DueSweep } from '../jobs/due-sweep.js'
import type { JobQueue } from '../jobs/job-queue.js'
import { createJobQueue } from '../jobs/job-queues.js'
import { MetaClient } from '../meta/meta-client.js'
import { Onboarding } from '../onboarding/onboarding.js'
import { Outcomes } from '../onboarding/outcomes.js'
import { Resumption } from '../onboarding/resumption.js'
import { Sessions } from '../sessions/sessions.js'
import { TokenVault } from '../sessions/token-vault.js'

declare module 'fastify' {
  interface FastifyInstance {
    onboarding: {
      sessions: Sessions
      logins: Onboarding
      dataDeletions: DataDeletions
      /** whether this instance finishes processing sessions: what /readyz reports */
      health: JobQueue['health']
    }
  }
}

export interface OnboardingPluginOptions {
  config: Config
  keyPrefix: string
  dispatcher?: Dispatcher | undefined
  now: () => number
  /** how often the resumption sweep runs (it shares the outbox sweep's default) */
  sweepIntervalMs?: number | undefined
}

const SWEEP_INTERVAL_MS = 10_000
/** a due session younger than this is being queued by the attempt that recorded it */
const SWEEP_GRACE_MS = 5000
/** processing sessions finished at once by one instance: each attempt is a few Meta calls */
const CONCURRENCY = 8

export default fp<OnboardingPluginOptions>(async function onboarding (app, o) {
  const { config, dispatcher, now } = o
  const { stores, redis, sealer, metrics, delivery: { outbox } } = app
  const meta = new MetaClient({ ...config.meta, dispatcher, metrics, now })
  const sessions = new Sessions({ config, sessions: stores.sessions, deliveries: stores.deliveries, metrics, now })
  const tokens = new TokenVault(stores.sessions, sealer, config.retentionSeconds)

  // one attempt after the exchange takes at most the shared budget of its calls (3 × META_TIMEOUT_MS)
  const attemptMs = 3 * config.meta.timeoutMs
  // the queue calls the resumption, whose outcomes add to the queue: bound once both exist
  const late: { resumption?: Resumption } = {}
  const attempt = (sessionId: string) => late.resumption!.attempt(sessionId)
  const queue = await createJobQueue({ name: 'onboarding', redis, keyPrefix: o.keyPrefix, attempt, log: app.log, lockDurationMs: attemptMs + 5000, concurrency: CONCURRENCY })
  const outcomes = new Outcomes({
    followUps: app.lifecycle.followUps,
    outbox,
    sessions: stores.sessions,
    resumptions: queue,
    metrics,
    retryScheduleMs: config.onboardingRetryScheduleMs,
    retentionSeconds: config.retentionSeconds,
    log: app.log,
    now
  })
  const pipeline = { meta, tokens, config, now }
  late.resumption = new Resumption({ sessions: stores.sessions, tokens, pipeline, outcomes, claimMs: attemptMs + 10_000, log: app.log })
  const sweep = new DueSweep({
    name: 'resumption sweep',
    due: (before, limit) => stores.sessions.dueProcessing(before, limit),
    queue,
    log: app.log,
    intervalMs: o.sweepIntervalMs ?? SWEEP_INTERVAL_MS,
    graceMs: SWEEP_GRACE_MS,
    now
  })
  metrics.processing.source = () => stores.sessions.countProcessing()

  app.decorate('onboarding', {
    sessions,
    logins: new Onboarding({ config, store: stores.sessions, sessions, meta, tokens, outcomes, metrics, now }),
    dataDeletions: new DataDeletions({ config, store: stores.dataDeletions, deliveries: stores.deliveries, outbox, now }),
    health: () => queue.health()
  })
  app.addHook('onReady', async () => { sweep.start() })
  app.addHook('onClose', async () => {
    await sweep.stop()
    // an attempt cut short is made again after its lock expires, by another instance or after the restart
    await queue.close(attemptMs)
  })
}, { name: 'onboarding', dependencies: ['store', 'metrics', 'delivery', 'lifecycle'] })
