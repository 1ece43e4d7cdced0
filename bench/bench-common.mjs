// What the benchmarks share: the service's variables, starting a server pinned to core 0, reading a process's
// CPU time, and removing a prefix's keys. Not a test; nothing here is imported by the service.
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { randomBytes } from 'node:crypto'
import { request } from 'undici'

const ROOT = new URL('..', import.meta.url).pathname
const CLK_TCK = 100
/** answers nothing: where a benchmark sends what it does not measure */
const NOWHERE = 'http://127.0.0.1:9'
/** a made-up configuration ID per flow, as serviceVariables sets them */
export const CONFIG_IDS = { business_portfolio: '900000000000001', asset_based: '900000000000002', partner_billing: '900000000000003' }

/**
 * The service's variables for a benchmark: every flow configured, rate limits off so the load is not refused,
 * fresh secrets unless given. `redisUrl` only for a server of its own (an in-process app gets its client).
 */
export function serviceVariables ({ port = 3000, metaUrl = NOWHERE, webhookUrl = `${NOWHERE}/hooks`, redisUrl, apiKey = randomBytes(24).toString('hex'), tokenKey = randomBytes(32).toString('base64'), appId = '100000000000001', appSecret = randomBytes(16).toString('hex') } = {}) {
  return {
    PORT: String(port),
    HOST: '127.0.0.1',
    PUBLIC_BASE_URL: `http://127.0.0.1:${port}`,
    META_APP_ID: appId,
    META_APP_SECRET: appSecret,
    META_CONFIG_ID_BUSINESS_PORTFOLIO: CONFIG_IDS.business_portfolio,
    META_CONFIG_ID_ASSET_BASED: CONFIG_IDS.asset_based,
    META_CONFIG_ID_PARTNER_BILLING: CONFIG_IDS.partner_billing,
    PARTNER_AD_ACCOUNT_ID: '777000000000001',
    META_GRAPH_URL: metaUrl,
    META_API_URL: metaUrl,
    META_DIALOG_URL: metaUrl,
    WEBHOOK_URL: webhookUrl,
    WEBHOOK_SECRET: `whsec_${randomBytes(32).toString('base64')}`,
    PARTNER_API_KEYS: apiKey,
    TOKEN_ENCRYPTION_KEY: tokenKey,
    COOKIE_SECRET: randomBytes(24).toString('hex'),
    RETURN_URL_ORIGINS: 'http://localhost:4000',
    ...(redisUrl ? { REDIS_URL: redisUrl } : {}),
    RATE_LIMIT_BROWSER_PER_MINUTE: '0',
    RATE_LIMIT_API_PER_MINUTE: '0',
    NODE_ENV: 'production'
  }
}

/** `script` (relative to the project) on core 0 with `env`, once its /healthz answers; `nodeArgs` e.g. --cpu-prof */
export async function startPinned (script, env, nodeArgs = []) {
  const child = spawn('taskset', ['-c', '0', process.execPath, ...nodeArgs, script], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'inherit'] })
  for (let i = 0; i < 100; i++) {
    if (await request(`${env.PUBLIC_BASE_URL}/healthz`).then((r) => r.body.dump().then(() => true), () => false)) return child
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  child.kill()
  throw new Error(`${script} did not start`)
}

/** utime + stime of a process, in ms (/proc/<pid>/stat) */
export function cpuMs (pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')
  return (Number(fields[11]) + Number(fields[12])) * 1000 / CLK_TCK
}

export async function deleteKeys (redis, prefix) {
  let cursor = '0'
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 5000)
    if (keys.length > 0) await redis.unlink(...keys)
    cursor = next
  } while (cursor !== '0')
}
