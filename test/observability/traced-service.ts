// What the tracing tests share: the service as its own process with tracing on (an OTLP receiver on loopback as
// the collector, a short batch delay), the simulated Meta and the partner's receiver, and a browser's login
// through it that keeps the states and cookies it was given, since none may reach a span.
import { readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Redis } from 'ioredis'
import { loadConfig } from '../../src/config/config.js'
import type { FlowName } from '../../src/flows/flows.js'
import type { MetaSimulator, SimulatedGrant } from '../../src/sandbox/meta-simulator.js'
import { API_KEY, knownSecrets, ownDatabase, startPeers, testEnv, type Receiver } from '../helper.js'
import { freePort } from '../redis-server.js'
import { spawnService, type ServiceProcess } from '../service-process.js'
import { OtlpReceiver } from './otlp-receiver.js'

type Test = { teardown: (fn: () => unknown) => void }

const MODULE_REPORT_SCRIPT = fileURLToPath(new URL('./module-report.mjs', import.meta.url))

export interface TracedService {
  base: string
  sim: MetaSimulator
  receiver: Receiver
  otlp: OtlpReceiver | null
  service: ServiceProcess
  /** the process's own Redis database */
  redis: Redis
  /** states and cookie values handed to the browsers so far */
  browserSecrets: string[]
  /** every secret of the run, by kind: the configuration's, and the codes, tokens and proofs Meta saw */
  secrets: () => Array<[string, string]>
  /** the modules the process loaded, once it has exited (MODULE_REPORT) */
  modules: () => { esm: string[]; cjs: string[]; otelGlobals: string[] }
}

export interface TracedServiceOptions {
  /** its own Redis database (helper.ts, ownDatabase) */
  db: number
  /** OTEL_* variables; `otlp: false` = none at all, no receiver */
  otel: Record<string, string | undefined> | false
  env?: Record<string, string | undefined>
}

export async function tracedService (t: Test, options: TracedServiceOptions): Promise<TracedService> {
  const { sim, receiver } = await startPeers(t)
  const { redis, redisUrl } = await ownDatabase(t, options.db)
  let otlp: OtlpReceiver | null = null
  if (options.otel !== false) {
    otlp = new OtlpReceiver()
    await otlp.start()
    t.teardown(() => otlp!.close())
  }
  const port = await freePort()
  const base = `http://127.0.0.1:${port}`
  sim.registerRedirectUri(`${base}/oauth/callback`)
  const report = join(tmpdir(), `mo-modules-${process.pid}-${options.db}.json`)
  const env = testEnv(sim, receiver.url, {
    PUBLIC_BASE_URL: base,
    REDIS_URL: redisUrl,
    MODULE_REPORT: report,
    ...(otlp ? { OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url, OTEL_BSP_SCHEDULE_DELAY: '50', ...options.otel } : {}),
    ...options.env
  })
  // after the test runner's loader, so that the report's hook sees every module that loader resolves
  const service = await spawnService(env, port, [`--import=${MODULE_REPORT_SCRIPT}`])
  t.teardown(() => service.stop('SIGKILL'))
  t.teardown(() => rmSync(report, { force: true }))
  const config = loadConfig(env)
  const browserSecrets: string[] = []
  return {
    base,
    sim,
    receiver,
    otlp,
    service,
    redis,
    browserSecrets,
    secrets: () => [...knownSecrets({ config, sim }), ...browserSecrets.map((s): [string, string] => ['state or cookie', s])],
    modules: () => JSON.parse(readFileSync(report, 'utf8'))
  }
}

/** session → login → the simulated dialog → callback (with `headers`, e.g. a traceparent); the callback's answer */
export async function login (s: TracedService, flow: FlowName, grant: SimulatedGrant, headers: Record<string, string> = {}) {
  const created = await fetch(`${s.base}/v1/sessions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ flow, return_url: 'https://app.example.com/done' })
  })
  if (created.status !== 201) throw new Error(`session not created: ${created.status}`)
  const session = await created.json() as { id: string; login_url: string }
  const started = await fetch(session.login_url, { redirect: 'manual' })
  const cookie = started.headers.get('set-cookie')!.split(';')[0]!
  const dialog = started.headers.get('location')!
  // the cookie's value is the nonce and its signature: either part alone would be a leak
  const value = decodeURIComponent(cookie.slice(cookie.indexOf('=') + 1))
  s.browserSecrets.push(new URL(dialog).searchParams.get('state')!, value, value.split('.')[0]!)
  const back = await fetch(s.sim.approve(dialog, grant), { redirect: 'manual', headers: { cookie, ...headers } })
  return { sessionId: session.id, status: back.status }
}

/** a session whose code the partner's back end submits (the JS SDK's login): `POST /v1/sessions/{id}/code`'s answer */
export async function submitCode (s: TracedService, flow: FlowName, grant: SimulatedGrant) {
  const headers = { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' }
  const created = await fetch(`${s.base}/v1/sessions`, { method: 'POST', headers, body: JSON.stringify({ flow }) })
  const session = await created.json() as { id: string }
  const answer = await fetch(`${s.base}/v1/sessions/${session.id}/code`, { method: 'POST', headers, body: JSON.stringify({ code: s.sim.issueCode(grant) }) })
  return { sessionId: session.id, status: answer.status }
}
