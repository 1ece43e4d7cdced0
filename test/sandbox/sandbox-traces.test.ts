// SANDBOX_TRACES=1: `npm run sandbox` prints each finished onboarding's spans as a small tree. The tree itself
// from spans made up here, then the sandbox from the command line walking one onboarding.
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import t from 'tap'
import { attributesOf, SPAN_KIND, spansOfExport, type ExportedSpan } from '../../src/sandbox/otlp-spans.js'
import { formatTree, TraceTrees } from '../../src/sandbox/trace-tree.js'

let next = 0
function span (name: string, parent: ExportedSpan | null, startMs: number, endMs: number, extra: Partial<ExportedSpan> = {}): ExportedSpan {
  return {
    traceId: 'a'.repeat(32),
    spanId: String(++next).padStart(16, '0'),
    parentSpanId: parent?.spanId ?? '',
    name,
    kind: SPAN_KIND.internal,
    startNs: BigInt(startMs * 1e6),
    endNs: BigInt(endMs * 1e6),
    attributes: {},
    links: [],
    events: [],
    status: { code: 0, message: '' },
    service: 'messenger-onboarding',
    scope: 'test',
    ...extra
  }
}

t.test('an OTLP/JSON export, flattened', async (t) => {
  t.same(attributesOf([
    { key: 's', value: { stringValue: 'x' } },
    { key: 'b', value: { boolValue: false } },
    { key: 'i', value: { intValue: '42' } },
    { key: 'd', value: { doubleValue: 0.5 } },
    { key: 'a', value: { arrayValue: { values: [{ stringValue: 'y' }, { intValue: 1 }] } } },
    { key: 'n', value: {} }
  ]), { s: 'x', b: false, i: 42, d: 0.5, a: ['y', 1], n: null })
  const [one] = spansOfExport({
    resourceSpans: [{
      resource: { attributes: [{ key: 'service.name', value: { stringValue: 'svc' } }] },
      scopeSpans: [{ scope: { name: 'scope' }, spans: [{ traceId: 't', spanId: 's', name: 'n', kind: 2, startTimeUnixNano: '1000', endTimeUnixNano: 3000, status: { code: 2, message: 'm' }, links: [{ traceId: 'lt', spanId: 'ls' }], events: [{ name: 'e' }] }] }]
    }]
  })
  t.same(one, { traceId: 't', spanId: 's', parentSpanId: '', name: 'n', kind: 2, startNs: 1000n, endNs: 3000n, attributes: {}, links: [{ traceId: 'lt', spanId: 'ls' }], events: [{ name: 'e', attributes: {} }], status: { code: 2, message: 'm' }, service: 'svc', scope: 'scope' })
  t.same(spansOfExport(null), [])
})

t.test('the tree: each span under its parent in the order they started, with duration and what matters', async (t) => {
  const server = span('GET /oauth/callback', null, 0, 40, { kind: SPAN_KIND.server, attributes: { 'http.response.status_code': 303 } })
  const handler = span('handler', server, 1, 39)
  const me = span('GET me', handler, 5, 8, { attributes: { 'http.response.status_code': 200 } })
  const exchange = span('GET exchange', handler, 2, 4.25, { attributes: { 'http.response.status_code': 200 } })
  const failed = span('GET debug_token', handler, 5, 6, { status: { code: 2, message: '' }, attributes: { 'http.response.status_code': 500, 'error.type': '500' } })
  const webhook = span('POST webhook', handler, 30, 35, {
    attributes: { 'http.response.status_code': 204, 'webhook.type': 'onboarding.completed', 'webhook.id': 'evt_1', 'webhook.attempt': 1, 'onboarding.session_id': 'ses_1' },
    links: [{ traceId: 'a'.repeat(32), spanId: handler.spanId }, { traceId: 'b'.repeat(32), spanId: 'c'.repeat(16) }]
  })
  t.equal(formatTree([webhook, me, failed, exchange, handler, server]), [
    'GET /oauth/callback  40.0 ms  303',
    '└─ handler  38.0 ms',
    '   ├─ GET exchange  2.3 ms  200',
    '   ├─ GET me  3.0 ms  200',
    '   ├─ GET debug_token  1.0 ms  500  ✗ 500',
    '   └─ POST webhook  5.0 ms  204  onboarding.completed evt_1 attempt 1  ↪ decided by handler  ↪ trace bbbbbbbb'
  ].join('\n'))
})

t.test('printed once an onboarding\'s trace is quiet, continued when more of it comes; other traces are not', async (t) => {
  let now = 0
  const printed: string[] = []
  const trees = new TraceTrees((text) => printed.push(text), 1000, () => now)
  const server = span('GET /oauth/callback', null, 0, 40, { kind: SPAN_KIND.server })
  const other = span('POST /v1/sessions', null, 0, 2, { kind: SPAN_KIND.server, traceId: 'd'.repeat(32) })
  trees.add([span('GET exchange', server, 1, 2), server, other])
  now = 500
  trees.flush()
  t.same(printed, [], 'not while spans may still come')
  now = 1600
  trees.flush()
  t.equal(printed.length, 1)
  t.match(printed[0], /^\nonboarding {2}— trace a{32}\nGET \/oauth\/callback {2}40\.0 ms\n└─ GET exchange {2}1\.0 ms\n$/)
  trees.add([span('provisioning attempt', server, 50, 60, { attributes: { 'onboarding.session_id': 'ses_9' } })])
  trees.flush(true)
  t.equal(printed.length, 2)
  t.match(printed[1], /onboarding ses_9 — trace a{32}, continued\nprovisioning attempt {2}10\.0 ms/)
  trees.flush(true)
  t.equal(printed.length, 2, 'nothing new, nothing printed')
})

t.test('SANDBOX_TRACES=1 npm run sandbox prints a finished onboarding as a tree', async (t) => {
  const child = spawn(process.execPath, [...process.execArgv, 'src/sandbox/main.ts'], {
    env: { ...process.env, SANDBOX_TRACES: '1', PORT: '0', REDIS_URL: '', LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString('utf8') })
  child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString('utf8') })
  t.teardown(() => { if (child.exitCode === null) child.kill('SIGKILL') })
  const until = async (done: () => boolean, what: string, ms = 20_000) => {
    for (const deadline = Date.now() + ms; !done();) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`${what}: not seen (stdout ${stdout}, stderr ${stderr})`)
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  }
  await until(() => /Open (\S+)/.test(stdout), 'the URL to open')
  t.match(stdout, /traces: each finished onboarding's spans are printed below/)
  const page = /Open (\S+)/.exec(stdout)![1]!

  // the admin starts flow 1 on the partner's page, approves on the simulated dialog and comes back
  const login = await fetch(new URL('/start?flow=business_portfolio', page), { redirect: 'manual' })
  const dialog = await fetch(login.headers.get('location')!, { redirect: 'manual' })
  const cookie = dialog.headers.get('set-cookie')!.split(';')[0]!
  const query = new URL(dialog.headers.get('location')!).searchParams
  const meta = new URL(dialog.headers.get('location')!).origin
  const decided = await fetch(`${meta}/__sim/dialog/decide?decision=approve&${query}`, { redirect: 'manual' })
  const back = await fetch(decided.headers.get('location')!, { headers: { cookie }, redirect: 'manual' })
  t.equal(back.status, 303)

  await until(() => /onboarding ses_\w+ — trace [0-9a-f]{32}\n/.test(stdout) && /POST webhook[^\n]*onboarding\.provisioned/.test(stdout), 'the tree')
  const tree = stdout.slice(stdout.indexOf('\nonboarding ses_'))
  t.match(tree, /\nGET \/oauth\/callback {2}[\d.]+ ms {2}303\n└─ handler {2}[\d.]+ ms\n/, 'the callback\'s server span, then its handler')
  for (const call of ['GET exchange', 'GET debug_token', 'GET me']) t.match(tree, new RegExp(`\\n {3}[├└]─ ${call} {2}[\\d.]+ ms {2}200\\n`), `${call} under the handler`)
  t.match(tree, /[├└]─ POST webhook {2}[\d.]+ ms {2}204 {2}onboarding\.completed evt_\w+ attempt 1 {2}↪ decided by handler/)
  t.match(tree, /[├└]─ provisioning attempt {2}[\d.]+ ms\n(.*\n)*? {6}[├└]─ GET page_token/, 'provisioning, with its own calls under it')
  t.match(tree, /POST webhook[^\n]*onboarding\.provisioned[^\n]*↪ decided by provisioning attempt/)
  t.notMatch(stdout, /EAA[A-Za-z0-9]{20,}|[?&](code|state|access_token)=/, 'no token, code or state printed')

  child.kill('SIGTERM')
  const [code] = await once(child, 'exit')
  t.equal(code, 0)
})
