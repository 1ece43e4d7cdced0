// The sandbox refuses production, and walks a flow over real HTTP without a browser.
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import t from 'tap'
import { startSandbox } from '../../src/sandbox/sandbox.js'
import { GRANTS } from '../helper.js'

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

t.test('the start page\'s buttons make the simulated Meta send each app callback, and the inspector shows the events', async (t) => {
  const sandbox = await startSandbox({ port: 0, logLevel: 'silent' })
  t.teardown(() => sandbox.close())
  t.ok(sandbox.config.meta.webhookVerifyToken, 'the sandbox turns app webhooks on')
  const start = await (await fetch(sandbox.url)).text()
  for (const kind of ['deauthorize', 'data_deletion', 'business_integration_uninstall', 'verify_subscription']) t.match(start, `id="meta-${kind}"`)
  const press = async (kind: string) => {
    const res = await fetch(new URL(`/meta-callback/${kind}`, sandbox.url), { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: '', redirect: 'manual' })
    t.equal(res.status, 303, `${kind} pressed`)
    return await (await fetch(sandbox.url)).text()
  }
  t.match(await press('verify_subscription'), /<code>verify_subscription<\/code> answered <strong>200<\/strong>/, 'the handshake echoed the challenge')
  t.match(await press('deauthorize'), /deauthorize<\/code> answered <strong>200<\/strong>/)
  t.match(await press('business_integration_uninstall'), /answered <strong>200<\/strong> <code>\{&quot;status&quot;:&quot;accepted&quot;,&quot;events&quot;:1\}/)
  const afterDeletion = await press('data_deletion')
  t.match(afterDeletion, /data_deletion<\/code> answered <strong>200<\/strong> <code>\{&quot;url&quot;/)
  t.equal((await fetch(new URL('/meta-callback/nope', sandbox.url), { method: 'POST' })).status, 404)

  // the events arrive at the inspector, verified
  let page = ''
  for (let i = 0; i < 100; i++) {
    page = await (await fetch(sandbox.url)).text()
    if (['meta.deauthorized', 'meta.data_deletion_requested', 'meta.app_event'].every((type) => page.includes(`<h3>${type} `))) break
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  for (const type of ['meta.deauthorized', 'meta.data_deletion_requested', 'meta.app_event']) t.match(page, `<h3>${type} `, `${type} received`)
  t.notMatch(page, /NOT verified/, 'every event verified')
  t.match(page, /<code>business_integration_uninstall<\/code>/)

  // the partner marks the deletion done from the inspector and lands on the status page
  const code = /name="code" value="([A-Za-z0-9]+)"/.exec(page)![1]!
  const done = await fetch(new URL('/data-deletion-done', sandbox.url), { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `code=${code}`, redirect: 'manual' })
  t.equal(done.status, 303)
  t.equal(done.headers.get('location'), `${sandbox.config.publicBaseUrl}/meta/data-deletion/${code}`)
  const status = await (await fetch(done.headers.get('location')!)).text()
  t.match(status, /Your data has been deleted/)
  t.match(status, /Meta is simulated/)
  const unknown = await fetch(new URL('/data-deletion-done', sandbox.url), { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'code=nope', redirect: 'manual' })
  t.equal(unknown.status, 400)
})

t.test('the uninstall button names the business of the latest completed onboarding, and the inspector shows its session', async (t) => {
  const sandbox = await startSandbox({ port: 0, logLevel: 'silent' })
  t.teardown(() => sandbox.close())
  const api = { authorization: `Bearer ${sandbox.config.partnerApiKeys[0]}`, 'content-type': 'application/json' }
  const base = sandbox.config.publicBaseUrl
  // a Flow 1 onboarding completed through the partner API's /code, as a partner back end would
  const session = await (await fetch(`${base}/v1/sessions`, { method: 'POST', headers: api, body: JSON.stringify({ flow: 'business_portfolio' }) })).json() as { id: string }
  const code = sandbox.meta.issueCode(GRANTS.business_portfolio)
  const decided = await (await fetch(`${base}/v1/sessions/${session.id}/code`, { method: 'POST', headers: api, body: JSON.stringify({ code }) })).json() as { status: string }
  t.equal(decided.status, 'completed')
  const pageWhen = async (done: (page: string) => boolean) => {
    let page = ''
    for (let i = 0; i < 100 && !done(page); i++) {
      if (i > 0) await new Promise((resolve) => setTimeout(resolve, 50))
      page = await (await fetch(sandbox.url)).text()
    }
    return page
  }
  // the button reads the business from the onboarding.completed event the inspector received
  await pageWhen((page) => page.includes('<h3>onboarding.completed '))
  const pressed = await fetch(new URL('/meta-callback/business_integration_uninstall', sandbox.url), { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: '', redirect: 'manual' })
  t.equal(pressed.status, 303)
  const page = await pageWhen((page) => page.includes('<h3>meta.app_event '))
  const business = GRANTS.business_portfolio.businessId!
  t.match(page, `<th scope="row">business ID</th><td><code>${business}</code></td></tr><tr><th scope="row">sessions</th><td><code>${session.id}</code></td>`)
  t.match(page, `&quot;business_manager_id&quot;:&quot;${business}&quot;`, 'the value as Meta sends it')
})

/** a flow 1 login from the start page with `mode` switched on, the admin approving on the dialog: Meta's redirect back and the service's answer */
async function loginWith (sandbox: Awaited<ReturnType<typeof startSandbox>>, mode: string) {
  await fetch(new URL(`/misbehave?mode=${mode}`, sandbox.url), { redirect: 'manual' })
  const login = await fetch(new URL('/start?flow=business_portfolio', sandbox.url), { redirect: 'manual' })
  const dialog = await fetch(login.headers.get('location')!, { redirect: 'manual' })
  const cookie = dialog.headers.get('set-cookie')!.split(';')[0]!
  // the admin clicks through the dialog and saves: the decision link with the dialog's query
  const query = new URL(dialog.headers.get('location')!).searchParams
  const decided = await fetch(`${sandbox.meta.url}/__sim/dialog/decide?decision=approve&${query}`, { redirect: 'manual' })
  const back = new URL(decided.headers.get('location')!)
  return { back, callback: await fetch(back, { headers: { cookie }, redirect: 'manual' }) }
}

t.test('the start page\'s "throttled" makes the next login processing: the partner\'s page says so, the session waits for Meta\'s estimate', async (t) => {
  const sandbox = await startSandbox({ port: 0, logLevel: 'silent' })
  t.teardown(() => sandbox.close())
  const { callback } = await loginWith(sandbox, 'throttled')
  const result = new URL(callback.headers.get('location')!)
  t.equal(result.searchParams.get('status'), 'processing')
  t.match(await (await fetch(result)).text(), /id="processing"/)
  const api = { authorization: `Bearer ${sandbox.config.partnerApiKeys[0]}` }
  const session = await (await fetch(`${sandbox.config.publicBaseUrl}/v1/sessions/${result.searchParams.get('session_id')}`, { headers: api })).json() as any
  t.equal(session.status, 'processing')
  t.equal(session.processing.last_error.meta.code, 80004, 'a business use case limit')
  const wait = Date.parse(session.processing.next_attempt_at) - Date.now()
  t.ok(wait > 15_000, `the next attempt waits Meta's estimate (${Math.round(wait / 1000)} s), not the schedule's 15 s`)
})

t.test('the start page\'s "App Not Setup" and "empty redirect" fail the next login visibly: result page and webhook', async (t) => {
  const sandbox = await startSandbox({ port: 0, logLevel: 'silent' })
  t.teardown(() => sandbox.close())
  const start = await (await fetch(sandbox.url)).text()
  for (const mode of ['app_not_setup', 'empty_redirect']) t.match(start, `<option value="${mode}"`)
  const cases: Array<[string, RegExp]> = [['app_not_setup', /error_code&quot;:&quot;1349126&quot;,&quot;error_message&quot;:&quot;App Not Setup: /], ['empty_redirect', /&quot;error&quot;:&quot;no_code&quot;/]]
  for (const [mode, said] of cases) {
    const { back, callback } = await loginWith(sandbox, mode)
    t.equal(back.searchParams.get('code'), null, `${mode}: Meta sent no code`)
    t.equal(callback.status, 303)
    const result = new URL(callback.headers.get('location')!)
    t.equal(result.searchParams.get('error'), 'login_error', `${mode}: the partner's page hears login_error`)
    let page = ''
    for (let i = 0; i < 100 && !page.includes('what Meta said'); i++) {
      page = await (await fetch(result)).text()
      if (!page.includes('what Meta said')) await new Promise((resolve) => setTimeout(resolve, 50))
    }
    t.match(page, /onboarding\.failed/)
    t.match(page, said, `${mode}: the webhook says what Meta sent`)
  }
  t.match(await (await fetch(sandbox.url)).text(), /Next login: <strong id="next-mode">Nothing/, 'applied once each, then reset')
})
