// The sandbox refuses production, and walks a flow over real HTTP without a browser.
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import t from 'tap'
import { startSandbox } from '../../src/sandbox/sandbox.js'

t.test('refuses to start with NODE_ENV=production, in code and from the command line', async (t) => {
  const saved = process.env.NODE_ENV
  process.env.NODE_ENV = 'production'
  t.teardown(() => { process.env.NODE_ENV = saved })
  await t.rejects(startSandbox({ port: 0 }), /refuses to run with NODE_ENV=production/)
  const child = spawn(process.execPath, [...process.execArgv, 'src/sandbox/main.ts'], { env: { ...process.env, NODE_ENV: 'production', PORT: '0' }, stdio: ['ignore', 'pipe', 'pipe'] })
  let stderr = ''
  child.stderr.on('data', (chunk) => { stderr += chunk })
  const [code] = await once(child, 'exit')
  t.equal(code, 1)
  t.match(stderr, /refuses to run with NODE_ENV=production/)
})

t.test('every page of a Partner Billing onboarding says Meta is simulated', async (t) => {
  const sandbox = await startSandbox({ port: 0, logLevel: 'silent' })
  t.teardown(() => sandbox.close())
  t.match(sandbox.meta.url, /^http:\/\/127\.0\.0\.1:/, 'Meta is on this machine')
  t.equal(sandbox.config.meta.graphUrl, sandbox.meta.url)
  t.equal(sandbox.config.meta.dialogUrl, sandbox.meta.url)
  const start = await fetch(sandbox.url)
  t.match(await start.text(), /Meta is simulated/)
  const login = await fetch(new URL('/start?flow=partner_billing', sandbox.url), { redirect: 'manual' })
  t.equal(login.status, 303)
  const dialog = await fetch(login.headers.get('location')!, { redirect: 'manual' })
  const cookie = dialog.headers.get('set-cookie')!.split(';')[0]!
  const continueAs = await fetch(dialog.headers.get('location')!)
  t.match(await continueAs.text(), /simulated Meta login/)
  // a replayed or broken callback gets the service's own page, which says it too
  const broken = await fetch(`${sandbox.config.publicBaseUrl}/oauth/callback?code=x&state=${'A'.repeat(43)}`, { headers: { cookie } })
  t.equal(broken.status, 400)
  t.match(await broken.text(), /Meta is simulated/)
})
