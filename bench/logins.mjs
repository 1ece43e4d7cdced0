// Full flow-1 onboardings per second, product vs the minimal reference of the same job (not a test).
// Run: npm run bench:logins   (builds dist/ first; needs Redis, BENCH_REDIS_URL, default redis://127.0.0.1:6379/15)
//
// The simulated Meta and the webhook receiver run in processes of their own; the server under test is pinned
// to core 0 and everything else (load, Meta, receiver) to core 1 with taskset. Each "browser" loops:
// POST /v1/sessions → GET login_url → the simulated dialog → GET the callback (timed) → 303; the webhook
// reaches the receiver (the product sends it just after answering, the reference awaits it inline). Rounds alternate the order
// of the targets because this machine is shared and noisy. CPU per login = utime+stime of the server process
// (/proc/<pid>/stat) over the run, including the time it takes the product to deliver what it queued.
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { readFileSync } from 'node:fs'
import { randomBytes } from 'node:crypto'
import { cpus } from 'node:os'
import { Agent, request } from 'undici'
import { Redis } from 'ioredis'
import { CONFIG_IDS, cpuMs, serviceVariables, startPinned } from './bench-common.mjs'
import { seedPending } from './pending-deliveries.mjs'
import { startCluster } from './redis-cluster.mjs'

const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379/15'
const SECONDS = Number(process.env.BENCH_SECONDS ?? 8)
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2)
const LEVELS = (process.env.BENCH_CONCURRENCY ?? '1,16,64').split(',').map(Number)
// added to every answer of the simulated Meta: the real one is 100–300 ms a call away from most regions
const META_LATENCY_MS = Number(process.env.BENCH_META_LATENCY_MS ?? 0)
// the flows the product is run with (the reference does flow 1 only)
const FLOWS = (process.env.BENCH_FLOWS ?? 'business_portfolio').split(',')
// pending deliveries in Redis before the run, each an hour old with its next attempt a day away: the partner's
// endpoint has been down for a while (the outbox sweep looks at every one of them)
const PENDING = Number(process.env.BENCH_PENDING ?? 0)
/** the Meta calls of each flow that wait for one another: the admin's wait is this many round trips */
const CHAINS = {
  business_portfolio: 'exchange → (debug_token ∥ /me) = 2 round trips',
  asset_based: 'exchange → (debug_token ∥ /me ∥ long-lived exchange) = 2 round trips',
  partner_billing: 'exchange → (debug_token ∥ /me) → asset-connections = 3 round trips'
}
const ROOT = new URL('..', import.meta.url).pathname

const pinned = (core, args, env) => spawn('taskset', ['-c', String(core), process.execPath, ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] })
async function firstLine (child) {
  let text = ''
  for await (const chunk of child.stdout) {
    text += chunk
    if (text.includes('\n')) return text.split('\n')[0]
  }
  throw new Error('process ended before it printed its address')
}

/** the simulated Meta, with a code for every approval, on core 1 */
async function startMeta (appId, appSecret) {
  const child = pinned(1, ['--input-type=module', '-e', `
    import { MetaSimulator } from './dist/sandbox/meta-simulator.js'
    import { dialogConfigs } from './dist/sandbox/sandbox.js'
    // each configuration grants what its flow needs, as the sandbox's do; every login is a business of its own
    // (its own system user), as on a partner platform: a business onboarding again would have flow 3 find the
    // partner's ad account already connected, which costs it one more call (docs/meta.md)
    let businesses = 0
    const ownBusiness = (grant) => {
      if (grant.kind !== 'system_user') return grant
      businesses++
      return { ...grant, businessId: String(890000000000000 + businesses), userId: String(61560000000000 + businesses) }
    }
    const sim = new MetaSimulator({ appId: ${JSON.stringify(appId)}, appSecret: ${JSON.stringify(appSecret)}, latencyMs: ${META_LATENCY_MS}, dialogConfigs: dialogConfigs(${JSON.stringify(CONFIG_IDS)}), beforeApproval: ownBusiness })
    await sim.start()
    process.stdout.write(sim.url + '\\n')
    // no test reads the recorded calls here: keep memory flat
    setInterval(() => { sim.calls.length = 0 }, 1000)
  `])
  return { url: await firstLine(child), child }
}

/** the partner's endpoint: counts deliveries by event type, answers 204; GET answers the counts */
async function startReceiver () {
  const child = pinned(1, ['-e', `
    const http = require('node:http'); const counts = {}
    const server = http.createServer((req, res) => {
      if (req.method === 'GET') return res.end(JSON.stringify(counts))
      const chunks = []
      req.on('data', (c) => chunks.push(c))
      req.on('end', () => {
        let type = 'unreadable'
        try { type = JSON.parse(Buffer.concat(chunks)).type } catch {}
        counts[type] = (counts[type] ?? 0) + 1
        res.writeHead(204); res.end()
      })
    })
    server.keepAliveTimeout = 60000
    server.listen(0, '127.0.0.1', () => process.stdout.write('http://127.0.0.1:' + server.address().port + '\\n'))
  `])
  return { url: await firstLine(child), child }
}

/**
 * A cheap OTLP/HTTP collector for product-traced, on core 1: answers every export 200 at once, and counts the
 * exports, their bytes and their spans (decoded with the official proto definitions the tests vendor, so a span
 * dropped by the service's exporter would show); GET answers the counts.
 */
async function startTraceSink () {
  const child = pinned(1, ['--input-type=module', '-e', `
    import { createServer } from 'node:http'
    import protobuf from 'protobufjs'
    const root = new protobuf.Root()
    root.resolvePath = (_origin, target) => 'test/observability/otlp-proto/' + target
    await root.load('opentelemetry/proto/collector/trace/v1/trace_service.proto')
    const Request = root.lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest')
    const counts = { exports: 0, bytes: 0, spans: 0 }
    const server = createServer((req, res) => {
      if (req.method === 'GET') return res.end(JSON.stringify(counts))
      const chunks = []
      req.on('data', (c) => chunks.push(c))
      req.on('end', () => {
        const body = Buffer.concat(chunks)
        res.writeHead(200, { 'content-type': 'application/x-protobuf' }); res.end()
        counts.exports++
        counts.bytes += body.length
        for (const rs of Request.decode(body).resourceSpans) for (const ss of rs.scopeSpans) counts.spans += ss.spans.length
      })
    })
    server.keepAliveTimeout = 60000
    server.listen(0, '127.0.0.1', () => process.stdout.write('http://127.0.0.1:' + server.address().port + '\\n'))
  `])
  return { url: await firstLine(child), child }
}

/** the process's peak resident set so far (the kernel keeps it: VmHWM) */
const peakRssMb = (pid) => Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) / 1024

/** the read and write system calls the process has made so far (/proc/<pid>/io: syscr, syscw) */
const syscalls = (pid) => {
  const io = readFileSync(`/proc/${pid}/io`, 'utf8')
  return { reads: Number(/syscr: (\d+)/.exec(io)[1]), writes: Number(/syscw: (\d+)/.exec(io)[1]) }
}

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]

/** the product as configured by default, the product subscribing every Page to its webhooks, the reference */
const TARGETS = {
  product: {},
  'product-pages': { PAGE_SUBSCRIBED_FIELDS: 'messages,messaging_optins,messaging_postbacks' },
  // nothing provisioned: what provisioning costs, by difference
  'product-unprovisioned': { READINESS_CHECKS: 'false' },
  // every trace recorded and exported (http/protobuf, the default) to the sink; OTEL_EXPORTER_OTLP_ENDPOINT is
  // set once the sink listens
  'product-traced': { OTEL_TRACES_SAMPLER: 'always_on', OTEL_BSP_SCHEDULE_DELAY: '500' },
  // the product on a three-master Redis Cluster the benchmark starts (REDIS_CLUSTER_NODES set below)
  'product-cluster': { REDIS_URL: '' },
  // BENCH_BASELINE_DIR: the product built from another commit (its dist/server.js), e.g. before a change
  'product-baseline': {},
  reference: {}
}
const isProduct = (name) => name !== 'reference'
const BASELINE_DIR = process.env.BENCH_BASELINE_DIR

async function startTarget (name, env) {
  if (name === 'product-baseline' && !BASELINE_DIR) throw new Error('product-baseline needs BENCH_BASELINE_DIR, a directory with the other build\'s dist/')
  const script = name === 'product-baseline' ? `${BASELINE_DIR}/dist/server.js` : isProduct(name) ? 'dist/server.js' : 'bench/reference-server.mjs'
  // BENCH_NODE_ARGS, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof", to profile the server under test
  return await startPinned(script, env, (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean))
}

/** one browser's onboarding; resolves with the callback's duration in ms */
async function login (base, metaUrl, agent, apiKey, flow) {
  const created = await request(`${base}/v1/sessions`, { method: 'POST', dispatcher: agent, headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' }, body: JSON.stringify({ flow, return_url: 'http://localhost:4000/done' }) })
  const { login_url: loginUrl } = await created.body.json()
  const loginRes = await request(loginUrl, { dispatcher: agent })
  await loginRes.body.dump()
  const cookie = String(loginRes.headers['set-cookie']).split(';')[0]
  const dialog = new URL(loginRes.headers.location)
  const decided = await request(`${metaUrl}/__sim/dialog/decide?decision=approve&${dialog.searchParams}`, { dispatcher: agent })
  await decided.body.dump()
  const started = performance.now()
  const back = await request(decided.headers.location, { dispatcher: agent, headers: { cookie } })
  await back.body.dump()
  const ms = performance.now() - started
  if (back.statusCode !== 303) throw new Error(`callback answered ${back.statusCode}`)
  return ms
}

async function run (name, flow, env, concurrency, meta, receiver) {
  const child = await startTarget(name, env)
  const traced = async () => (traceSink ? JSON.parse(await (await request(traceSink.url)).body.text()) : null)
  const agent = new Agent({ connections: concurrency * 2, keepAliveTimeout: 30_000 })
  const counts = async () => JSON.parse(await (await request(receiver.url)).body.text())
  const completed = (c) => c['onboarding.completed'] ?? 0
  const provisioned = (c) => c['onboarding.provisioned'] ?? 0
  const before = await counts()
  // warm-up
  for (let i = 0; i < 20; i++) await login(env.PUBLIC_BASE_URL, meta.url, agent, env.PARTNER_API_KEYS, flow)
  // the product provisions every completed onboarding when configured to (readiness checks are on by default):
  // one more event each, which the run waits for; the warm-up's shows whether there are any
  for (let i = 0; i < 100 && completed(await counts()) < completed(before) + 20; i++) await new Promise((resolve) => setTimeout(resolve, 20))
  await new Promise((resolve) => setTimeout(resolve, 200))
  const provisioning = provisioned(await counts()) > provisioned(before)
  // the warm-up's spans are exported within the batch delay: before the count starts
  if (name === 'product-traced') await new Promise((resolve) => setTimeout(resolve, 700))
  const cpu0 = cpuMs(child.pid)
  const calls0 = syscalls(child.pid)
  const traces0 = name === 'product-traced' ? await traced() : null
  const durations = []
  let errors = 0
  const deadline = performance.now() + SECONDS * 1000
  const started = performance.now()
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (performance.now() < deadline) {
      try { durations.push(await login(env.PUBLIC_BASE_URL, meta.url, agent, env.PARTNER_API_KEYS, flow)) } catch { errors++ }
    }
  }))
  const elapsed = (performance.now() - started) / 1000
  // the product delivers and provisions asynchronously: its CPU counts until every webhook of the run has arrived
  const expected = completed(before) + 20 + durations.length
  const arrived = (c) => completed(c) >= expected && (!provisioning || provisioned(c) >= provisioned(before) + 20 + durations.length)
  for (let i = 0; i < 300 && !arrived(await counts()); i++) await new Promise((resolve) => setTimeout(resolve, 50))
  const after = await counts()
  const delivered = completed(after) - completed(before) - 20
  const provisionedInRun = provisioned(after) - provisioned(before) - 20
  // the traced product exports what ended within its batch delay (500 ms): its CPU counts until that is done too
  if (name === 'product-traced') await new Promise((resolve) => setTimeout(resolve, 700))
  const cpu = cpuMs(child.pid) - cpu0
  const calls = syscalls(child.pid)
  const rss = peakRssMb(child.pid)
  const tracesAfter = name === 'product-traced' ? await traced() : null
  child.kill('SIGTERM')
  await once(child, 'exit')
  await agent.close()
  durations.sort((a, b) => a - b)
  // spans and bytes exported per login, over the same span of time as the CPU
  const traces = tracesAfter ? { spans: (tracesAfter.spans - traces0.spans) / durations.length, kb: (tracesAfter.bytes - traces0.bytes) / 1024 / durations.length, exports: tracesAfter.exports - traces0.exports } : null
  return { name, flow, concurrency, logins: durations.length, perSecond: durations.length / elapsed, p50: percentile(durations, 0.5), p99: percentile(durations, 0.99), cpuPerLogin: cpu / durations.length, readsPerLogin: (calls.reads - calls0.reads) / durations.length, writesPerLogin: (calls.writes - calls0.writes) / durations.length, peakRssMb: rss, errors, delivered, provisioned: provisioning ? provisionedInRun : null, traces }
}

const appId = '100000000000001'
const appSecret = randomBytes(16).toString('hex')
const redis = new Redis(REDIS_URL)
await redis.flushdb()
const meta = await startMeta(appId, appSecret)
const receiver = await startReceiver()
const traceSink = (process.env.BENCH_TARGETS ?? '').split(',').includes('product-traced') ? await startTraceSink() : null
if (traceSink) TARGETS['product-traced'].OTEL_EXPORTER_OTLP_ENDPOINT = traceSink.url
const cluster = (process.env.BENCH_TARGETS ?? '').split(',').includes('product-cluster') ? await startCluster() : null
if (cluster) TARGETS['product-cluster'].REDIS_CLUSTER_NODES = cluster.nodes
const apiKey = randomBytes(24).toString('hex')
const tokenKey = randomBytes(32).toString('base64')
if (PENDING > 0) {
  const seeded = performance.now()
  await seedPending({ redisUrl: REDIS_URL, prefix: 'mo:', key: tokenKey, count: PENDING, delayMs: 86_400_000, ageMs: 3600_000 })
  console.log(`${PENDING} pending deliveries seeded in ${((performance.now() - seeded) / 1000).toFixed(1)} s, each with its next attempt a day away`)
}
const envFor = (port) => serviceVariables({ port, metaUrl: meta.url, webhookUrl: receiver.url, redisUrl: REDIS_URL, apiKey, tokenKey, appId, appSecret })

// the simulator's own latency: one debug_token call, alone
const simAgent = new Agent()
const simTimes = []
for (let i = 0; i < 200; i++) {
  const t0 = performance.now()
  await (await request(`${meta.url}/v26.0/debug_token?input_token=x&access_token=${appId}|${appSecret}`, { dispatcher: simAgent })).body.dump()
  simTimes.push(performance.now() - t0)
}
simTimes.sort((a, b) => a - b)

console.log(`node ${process.version}; ${cpus()[0].model} x${cpus().length}; ${SECONDS} s per run, ${ROUNDS} rounds; server on core 0, load + Meta + receiver on core 1`)
console.log(`simulated Meta alone: one call p50 ${percentile(simTimes, 0.5).toFixed(2)} ms, p99 ${percentile(simTimes, 0.99).toFixed(2)} ms (BENCH_META_LATENCY_MS=${META_LATENCY_MS} included)`)
for (const flow of FLOWS) console.log(`${flow}: ${CHAINS[flow]}`)
const results = []
try {
  for (let round = 0; round < ROUNDS; round++) {
    // BENCH_TARGETS=product,product-pages,reference to compare the product with and without Page subscription
    const targets = (process.env.BENCH_TARGETS ?? 'product,reference').split(',')
    const order = round % 2 === 0 ? targets : [...targets].reverse()
    for (const concurrency of LEVELS) {
      for (const name of order) {
        // BENCH_PRODUCT_ENV="LOG_LEVEL=silent ..." to measure what one setting costs
        const extra = isProduct(name) ? Object.fromEntries((process.env.BENCH_PRODUCT_ENV ?? '').split(' ').filter(Boolean).map((kv) => kv.split('='))) : {}
        for (const flow of isProduct(name) ? FLOWS : ['business_portfolio']) {
          const r = await run(name, flow, { ...envFor(isProduct(name) ? 3300 : 3400), ...TARGETS[name], ...extra }, concurrency, meta, receiver)
          results.push(r)
          const provisionedNote = (r.provisioned !== null ? `, ${r.provisioned}/${r.logins} provisioned` : '') +
            (r.traces ? `, ${r.traces.spans.toFixed(1)} spans and ${r.traces.kb.toFixed(1)} KB exported per login in ${r.traces.exports} exports` : '')
          const label = FLOWS.length > 1 || flow !== 'business_portfolio' ? `${name} ${flow}` : name
          console.log(`round ${round + 1} ${label.padEnd(13)} c=${String(concurrency).padStart(2)}: ${r.perSecond.toFixed(0).padStart(5)} logins/s, callback p50 ${r.p50.toFixed(1)} ms p99 ${r.p99.toFixed(1)} ms, ${r.cpuPerLogin.toFixed(2)} CPU-ms/login, ${r.readsPerLogin.toFixed(1)} reads + ${r.writesPerLogin.toFixed(1)} writes/login, peak RSS ${r.peakRssMb.toFixed(0)} MB, ${r.errors} errors, ${r.delivered}/${r.logins} webhooks${provisionedNote}`)
        }
      }
    }
  }
} finally {
  meta.child.kill()
  receiver.child.kill()
  traceSink?.child.kill()
  await cluster?.stop()
  await redis.flushdb()
  await redis.quit()
}

const median = (xs) => {
  const sorted = [...xs].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}
if (results.some((r) => r.name === 'reference') && results.some((r) => r.name === 'product')) {
  console.log('\nmedian over rounds, flow 1   product              reference            ratio')
  for (const concurrency of LEVELS) {
    const pick = (name, key) => median(results.filter((r) => r.name === name && r.flow === 'business_portfolio' && r.concurrency === concurrency).map((r) => r[key]))
    const p = { rate: pick('product', 'perSecond'), cpu: pick('product', 'cpuPerLogin'), p99: pick('product', 'p99'), rss: pick('product', 'peakRssMb') }
    const ref = { rate: pick('reference', 'perSecond'), cpu: pick('reference', 'cpuPerLogin'), p99: pick('reference', 'p99'), rss: pick('reference', 'peakRssMb') }
    console.log(`c=${String(concurrency).padStart(2)} logins/s         ${p.rate.toFixed(0).padStart(6)}               ${ref.rate.toFixed(0).padStart(6)}          ${(p.rate / ref.rate).toFixed(2)}× (target ≥ 0.58× at c=16)`)
    console.log(`     CPU-ms/login     ${p.cpu.toFixed(2).padStart(6)}               ${ref.cpu.toFixed(2).padStart(6)}          ${(p.cpu / ref.cpu).toFixed(2)}× (target ≤ 1.8× at c=16)`)
    console.log(`     peak RSS MB      ${p.rss.toFixed(0).padStart(6)}               ${ref.rss.toFixed(0).padStart(6)}          ${(p.rss / ref.rss).toFixed(2)}× (target ≤ 1.3× at c=16)`)
    console.log(`     callback p99 ms  ${p.p99.toFixed(1).padStart(6)}               ${ref.p99.toFixed(1).padStart(6)}`)
  }
}
if (FLOWS.length > 1 || FLOWS[0] !== 'business_portfolio') {
  console.log('\nmedian over rounds, product   callback p50 ms   p99 ms   CPU-ms/login   the wait, in Meta round trips')
  for (const concurrency of LEVELS) {
    for (const flow of FLOWS) {
      const pick = (key) => median(results.filter((r) => r.name === 'product' && r.flow === flow && r.concurrency === concurrency).map((r) => r[key]))
      console.log(`c=${String(concurrency).padStart(2)} ${flow.padEnd(20)} ${pick('p50').toFixed(1).padStart(10)} ${pick('p99').toFixed(1).padStart(8)} ${pick('cpuPerLogin').toFixed(2).padStart(10)}      ${CHAINS[flow]}`)
    }
  }
}

// provisioning must not move the callback: the product beside itself subscribing every Page, and provisioning nothing
// and tracing must cost nothing when off: the product beside a build without it (product-baseline), and its cost on
for (const other of ['product-pages', 'product-unprovisioned', 'product-traced', 'product-baseline']) {
  if (!results.some((r) => r.name === other)) continue
  console.log(`\nmedian over rounds   product (default)   ${other.padEnd(22)}   ratio`)
  for (const concurrency of LEVELS) {
    const pick = (name, key) => median(results.filter((r) => r.name === name && r.flow === 'business_portfolio' && r.concurrency === concurrency).map((r) => r[key]))
    for (const [label, key, digits] of [['logins/s', 'perSecond', 0], ['callback p50 ms', 'p50', 1], ['callback p99 ms', 'p99', 1], ['CPU-ms/login', 'cpuPerLogin', 2]]) {
      const a = pick('product', key)
      const b = pick(other, key)
      console.log(`c=${String(concurrency).padStart(2)} ${label.padEnd(16)} ${a.toFixed(digits).padStart(10)}          ${b.toFixed(digits).padStart(10)}               ${(b / a).toFixed(2)}×`)
    }
  }
}
