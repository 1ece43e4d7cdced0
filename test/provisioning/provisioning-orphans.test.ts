// A provisioning due whose session is gone (kept shorter than its provisioning took) or already provisioned
// leaves the index the sweep reads, on either store: otherwise every sweep would queue it again, forever.
import t, { type Test } from 'tap'
import { loadConfig } from '../../src/config/config.js'
import { TokenSealer } from '../../src/lib/token-sealer.js'
import { MetaClient } from '../../src/meta/meta-client.js'
import { createMetrics } from '../../src/observability/metrics.js'
import { Outbox } from '../../src/outbox/outbox.js'
import { Provisioning } from '../../src/provisioning/provisioning.js'
import { TokenVault } from '../../src/sessions/token-vault.js'
import { memoryStores } from '../../src/store/memory/memory-stores.js'
import { redisStores } from '../../src/store/redis/redis-stores.js'
import type { Stores } from '../../src/store/stores.js'
import { deleteKeys, testEnv, testRedis } from '../helper.js'

const log = { warn () {}, info () {}, error () {} } as any

async function orphanLeaves (t: Test, stores: Stores): Promise<void> {
  const config = loadConfig(testEnv({ url: 'http://127.0.0.1:9' }, 'http://127.0.0.1:9/hooks', { READINESS_CHECKS: undefined }))
  const sealer = new TokenSealer(config.tokenEncryptionKeys)
  const outbox = new Outbox({ store: stores.outbox, sealer, attempts: { start () {} }, retentionSeconds: 60, now: Date.now })
  const provisioning = new Provisioning({
    meta: new MetaClient({ ...config.meta }),
    config,
    sessions: stores.sessions,
    tokens: new TokenVault(stores.sessions, sealer, 60),
    outbox,
    metrics: createMetrics(),
    claimMs: 1000,
    log,
    now: Date.now
  })
  // what an index entry outliving its session looks like
  t.equal(await outbox.recordSessionChange({ sessionId: 'ses_gone', provisioning: 0 }), true)
  t.strictSame(await stores.sessions.dueProvisioning(Date.now(), 10), ['ses_gone'])
  t.strictSame(await provisioning.attempt('ses_gone'), { next: 'done' })
  t.strictSame(await stores.sessions.dueProvisioning(Date.now(), 10), [], 'no longer due')
}

t.test('the in-process store', async (t) => {
  const stores = memoryStores()
  t.teardown(() => stores.close())
  await orphanLeaves(t, stores)
})

t.test('Redis', async (t) => {
  const redis = await testRedis(t)
  const prefix = `mo-test:${process.pid}:orphans:`
  t.teardown(() => deleteKeys(redis, prefix))
  await orphanLeaves(t, redisStores(redis, prefix))
})
