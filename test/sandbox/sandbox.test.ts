// The sandbox refuses production, and walks a flow over real HTTP without a browser.
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import t from 'tap'
import { Webhook } from 'standardwebhooks'
import { startSandbox } from '../../src/sandbox/sandbox.js'
import { GRANTS } from '../helper.js'

type Sandbox = Awaited<ReturnType<typeof startSandbox>>

/** a login of `flow` from the start page with `mode` switched on, the admin approving on the dialog what it offers: Meta's redirect back and the service's answer */
async function loginWith (sandbox: Sandbox, mode: string, flow = 'business_portfolio') {
  await fetch(new URL(`/misbehave?mode=${mode}`, sandbox.url), { redirect: 'manual' })
  const login = await fetch(new URL(`/start?flow=${flow}`, sandbox.url), { redirect: 'manual' })
  const dialog = await fetch(login.headers.get('location')!, { redirect: 'manual' })
  const cookie = dialog.headers.get('set-cookie')!.split(';')[0]!
  // the admin clicks through the dialog and saves: the decision link with the dialog's query
  const query = new URL(dialog.headers.get('location')!).searchParams
  const decided = await fetch(`${sandbox.meta.url}/__sim/dialog/decide?decision=approve&${query}`, { redirect: 'manual' })
  const back = new URL(decided.headers.get('location')!)
  return { back, callback: await fetch(back, { headers: { cookie }, redirect: 'manual' }) }
}

/** the page at `url` once `done` holds of it (webhooks arrive a moment after the answers), or as it is after 5 s */
async function pageWhen (url: string | URL, done: (page: string) => boolean): Promise<string> {
  let page = ''
  for (let i = 0; i < 100 && !done(page); i++) {
    if (i > 0) await new Promise((resolve) => setTimeout(resolve, 50))
    page = await (await fetch(url)).text()
  }
  return page
}

/** the inspector's events of `type`, newest first, each as its HTML */
const articles = (page: string, type: string): string[] => page.split('<article ').slice(1).filter((a) => a.startsWith(`class="event" data-type="${type}"`))

/** the section of the start page with this id */
const section = (page: string, id: string): string => page.slice(page.indexOf(`<section id="${id}">`), page.indexOf('</section>', page.indexOf(`<section id="${id}">`)))

const pressButton = (sandbox: Sandbox, kind: string) =>
  fetch(new URL(`/meta-callback/${kind}`, sandbox.url), { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: '', redirect: 'manual' })

/** any Meta token in clear: the simulator's are EAA and 60 letters or digits */
const CLEAR_TOKEN = /EAA[A-Za-z0-9]{20,}/

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
  // the button reads the business from the onboarding.completed event the inspector received
  await pageWhen(sandbox.url, (page) => page.includes('<h3>onboarding.completed '))
  t.equal((await pressButton(sandbox, 'business_integration_uninstall')).status, 303)
  const page = await pageWhen(sandbox.url, (page) => page.includes('<h3>meta.app_event ') && articles(page, 'onboarding.revoked').length > 0)
  const business = GRANTS.business_portfolio.businessId!
  t.match(page, `<th scope="row">business ID</th><td><code>${business}</code></td></tr><tr><th scope="row">sessions</th><td><code>${session.id}</code></td>`)
  t.match(page, `&quot;business_manager_id&quot;:&quot;${business}&quot;`, 'the value as Meta sends it')
  // the uninstall revoked the session: the partner is told who, when and why
  const [revoked, ...more] = articles(page, 'onboarding.revoked')
  t.equal(more.length, 0, 'one session of that business')
  t.match(revoked, `<code>${session.id}</code>`)
  t.match(revoked, '<p class="summary bad">Access revoked: the business removed the integration.</p>')
  t.match(revoked, `<th scope="row">who</th><td>business <code>${business}</code></td>`)
  t.match(revoked, /<th scope="row">revoked at<\/th><td>\d{4}-\d\d-\d\dT[0-9:.]+Z \(\d+ seconds? ago\)<\/td>/)
  t.match(revoked, 'The business removed the app\u2019s integration (Meta\u2019s business_integration_uninstall webhook)')
})

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

t.test('a Flow 1 login: the partner reads onboarding.provisioned in words (ready to send, each Page subscribed, each ad account checked) and what Meta now sends to the app, Page tokens masked', async (t) => {
  const sandbox = await startSandbox({ port: 0, logLevel: 'silent', deliverPageTokens: true })
  t.teardown(() => sandbox.close())
  const { callback } = await loginWith(sandbox, 'none')
  const result = new URL(callback.headers.get('location')!)
  t.equal(result.searchParams.get('status'), 'completed')
  // the result page refreshes until provisioning is done: the outcome first, then what followed
  const page = await pageWhen(result, (page) => page.includes('data-type="onboarding.provisioned"'))
  t.match(section(page, 'webhook'), '<code>onboarding.completed</code>', 'the outcome stays the webhook shown, whichever event came first')
  const [provisioned] = articles(page, 'onboarding.provisioned')
  t.match(provisioned, '<p class="ok ready">Ready to send</p>')
  t.notMatch(provisioned, /What to fix/)
  // the dialog's defaults: the first portfolio's two Pages and two ad accounts, none of them billed on its own
  for (const id of ['102345678901234', '102345678901235']) {
    t.match(provisioned, new RegExp(`<tr><td><code>${id}</code></td><td><span class="ok">Subscribed</span>: <code>messages</code>, <code>messaging_optins</code>, <code>messaging_postbacks</code></td>` +
      '<td><code>EAA[A-Za-z0-9]{3}…[A-Za-z0-9]{4} \\(63 characters\\)</code></td></tr>'), `Page ${id} subscribed, its token masked`)
  }
  for (const id of ['act_1234567890123456', 'act_1234567890123457']) {
    t.match(provisioned, `<tr><td><code>${id}</code></td><td>Not billed</td><td>Active</td><td>US, <span class="ok">served</span></td><td>Yes</td></tr>`, `${id} in words`)
  }
  t.notMatch(page, CLEAR_TOKEN, 'no token in clear on the result page')

  const start = await (await fetch(sandbox.url)).text()
  t.same(sandbox.meta.pageSubscriptions().map((s) => s.pageId).sort(), ['102345678901234', '102345678901235'])
  const recorded = section(start, 'page-subscriptions')
  t.match(recorded, 'What Meta now sends to the app')
  for (const { pageId } of sandbox.meta.pageSubscriptions()) {
    t.match(recorded, `<tr><td><code>${pageId}</code></td><td><code>messages</code>, <code>messaging_optins</code>, <code>messaging_postbacks</code></td></tr>`, `${pageId} recorded by Meta`)
  }
  t.match(articles(start, 'onboarding.provisioned')[0], '<p class="ok ready">Ready to send</p>', 'the inspector shows it too')
  t.notMatch(start, CLEAR_TOKEN, 'no token in clear on the start page')
})

t.test('before any onboarding, the start page says no Page is subscribed', async (t) => {
  const sandbox = await startSandbox({ port: 0, logLevel: 'silent' })
  t.teardown(() => sandbox.close())
  t.match(section(await (await fetch(sandbox.url)).text(), 'page-subscriptions'), 'No Page is subscribed yet')
})

t.test('each provisioning problem arrives as a sentence saying what to do', async (t) => {
  const sandbox = await startSandbox({ port: 0, logLevel: 'silent' })
  t.teardown(() => sandbox.close())
  const provisionedAfter = async (mode: string) => {
    const { callback } = await loginWith(sandbox, mode)
    const result = new URL(callback.headers.get('location')!)
    return articles(await pageWhen(result, (page) => page.includes('data-type="onboarding.provisioned"')), 'onboarding.provisioned')[0] ?? ''
  }
  const account = 'act_1234567890123456'
  const cases: Array<[string, string[]]> = [
    ['ad_account_no_payment', [
      '<p class="bad ready">Not ready to send: 2 things to fix below</p>',
      `<td><code>${account}</code></td><td>Not billed</td><td>Active</td><td>US, <span class="ok">served</span></td><td><span class="bad">No</span></td>`,
      `Ad account <code>${account}</code> has no payment method: add one in Meta Business Suite &gt; Billing and payments.`
    ]],
    ['ad_account_region', [
      '<td>DE, <span class="bad">not served</span></td>',
      `Ad account <code>${account}</code> belongs to a business in DE: Meta does not let tech providers serve businesses in DE`
    ]],
    ['ad_account_disabled', [
      `<td><code>${account}</code></td><td>Not billed</td><td>Disabled</td>`,
      `Ad account <code>${account}</code> is Disabled, not Active`,
      '(disable_reason 1)'
    ]],
    ['page_subscription_refused', [
      '<p class="bad ready">Not ready to send: 1 thing to fix below</p>',
      '<td><code>102345678901234</code></td><td><span class="bad">Failed</span>: Meta subscribed_apps call failed',
      'Page <code>102345678901234</code> was not subscribed, so Meta sends the app none of its webhooks',
      'any other field needs pages_manage_metadata',
      '&quot;code&quot;:200'
    ]]
  ]
  for (const [mode, sentences] of cases) {
    const provisioned = await provisionedAfter(mode)
    for (const sentence of sentences) t.match(provisioned, sentence, `${mode}: ${sentence}`)
  }
  // Meta refusing a readiness check for good: nothing is known of the account, and the page says so
  sandbox.meta.failNext('ad_account', { status: 400, graphError: { code: 100, message: '(#100) Unsupported get request.' } })
  const refused = await provisionedAfter('none')
  t.match(refused, /<td><code>act_123456789012345[67]<\/code><\/td><td>Not billed<\/td><td>Not checked: Meta ad_account call failed/)
  t.match(refused, /Meta did not answer the check of <code>act_123456789012345[67]<\/code>, even after the service’s retries/)
  t.notMatch(refused, CLEAR_TOKEN)
})

t.test('the token expiry switch: the next Flow 2 token lasts a minute, onboarding.token_expiring arrives at once and says when it expires; off restores Meta\'s 60 days', async (t) => {
  const sandbox = await startSandbox({ port: 0, logLevel: 'silent' })
  t.teardown(() => sandbox.close())
  const switched = await fetch(new URL('/token-expiry?soon=on', sandbox.url), { redirect: 'manual' })
  t.equal(switched.status, 303)
  t.equal(switched.headers.get('location'), '/#token-expiry')
  const on = section(await (await fetch(sandbox.url)).text(), 'token-expiry')
  t.match(on, 'name="soon" value="on" checked>')
  t.match(on, '<strong id="token-expiry-now">Flow 2 tokens last 60 seconds</strong>')

  const { callback } = await loginWith(sandbox, 'none', 'asset_based')
  const sessionId = new URL(callback.headers.get('location')!).searchParams.get('session_id')!
  const page = await pageWhen(sandbox.url, (page) => articles(page, 'onboarding.token_expiring').length > 0)
  const expiring = articles(page, 'onboarding.token_expiring')[0] ?? ''
  t.match(expiring, `<code>${sessionId}</code>`)
  t.match(expiring, 'person (app-scoped user ID) <code>100000000000042</code>')
  const expiresAt = /<th scope="row">token expires<\/th><td>([0-9T:.Z-]+) \(in (\d+) seconds?\)<\/td>/.exec(expiring)
  t.ok(expiresAt, 'the notice says when the token expires, and how soon')
  const inMs = Date.parse(expiresAt![1]!) - Date.now()
  t.ok(inMs > 30_000 && inMs <= 60_000, `a minute from the login (${Math.round(inMs / 1000)} s)`)
  t.match(expiring, /<p class="summary">The token expires in \d+ seconds?\.<\/p>/)
  t.match(expiring, 'Open a new session and send them its login_url before the token expires.')
  // the onboarding.completed event says the same moment
  t.match(articles(page, 'onboarding.completed')[0] ?? '', `<th scope="row">token expires</th><td>${expiresAt![1]} (in `)

  await fetch(new URL('/token-expiry', sandbox.url), { redirect: 'manual' })
  const off = section(await (await fetch(sandbox.url)).text(), 'token-expiry')
  t.notMatch(off, 'checked')
  t.match(off, 'Flow 2 tokens last about 60 days, as Meta’s')
  const again = await loginWith(sandbox, 'none', 'asset_based')
  const second = new URL(again.callback.headers.get('location')!)
  const completed = section(await pageWhen(second, (page) => page.includes('<code>onboarding.completed</code>')), 'webhook')
  t.match(completed, /<th scope="row">token expires<\/th><td>[0-9T:.Z-]+ \(in 60 days\)<\/td>/, 'a token of Meta\'s 60 days again')
})

t.test('the deauthorize button names the person of the latest completed Flow 2 onboarding, and revokes their session', async (t) => {
  const sandbox = await startSandbox({ port: 0, logLevel: 'silent' })
  t.teardown(() => sandbox.close())
  const { callback } = await loginWith(sandbox, 'none', 'asset_based')
  const sessionId = new URL(callback.headers.get('location')!).searchParams.get('session_id')!
  await pageWhen(sandbox.url, (page) => page.includes('<h3>onboarding.completed '))
  t.equal((await pressButton(sandbox, 'deauthorize')).status, 303)
  const page = await pageWhen(sandbox.url, (page) => articles(page, 'onboarding.revoked').length > 0 && page.includes('<h3>meta.deauthorized '))
  t.match(articles(page, 'meta.deauthorized')[0], '<th scope="row">user</th><td><code>100000000000042</code></td>')
  const [revoked] = articles(page, 'onboarding.revoked')
  t.match(revoked, `<code>${sessionId}</code>`)
  t.match(revoked, '<p class="summary bad">Access revoked: the person removed the app.</p>')
  t.match(revoked, 'The person removed the app from their Facebook settings (Meta’s deauthorize callback)')
})

t.test('the inspector shows in words what a test does not wait for, and masks the tokens of an event it does not know', async (t) => {
  const sandbox = await startSandbox({ port: 0, logLevel: 'silent' })
  t.teardown(() => sandbox.close())
  const signer = new Webhook(sandbox.config.webhook.secrets[0]!)
  const deliver = async (id: string, type: string, data: Record<string, unknown>) => {
    const body = JSON.stringify({ type, timestamp: new Date().toISOString(), data })
    const res = await fetch(new URL('/hooks', sandbox.url), {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'webhook-id': id, 'webhook-timestamp': String(Math.floor(Date.now() / 1000)), 'webhook-signature': signer.sign(id, new Date(), body) },
      body
    })
    t.equal(res.status, 204)
  }
  // the expired notice of a token that lasted a minute comes a minute after the login
  const expiredAt = new Date(Date.now() - 5000).toISOString()
  await deliver('evt_expired', 'onboarding.token_expired', {
    session_id: 'ses_expired', external_id: 'tenant-7', metadata: {}, flow: 'asset_based', user_id: '100000000000042', page_ids: ['102345678901234'], ad_account_ids: ['act_1234567890123456'], token_expires_at: expiredAt
  })
  const secret = `EAA${'x'.repeat(40)}`
  await deliver('evt_future', 'onboarding.something_new', { session_id: 'ses_future', nested: [{ page_access_token: secret, access_token: secret, token_type: 'user' }] })
  const page = await (await fetch(sandbox.url)).text()
  const expired = articles(page, 'onboarding.token_expired')[0] ?? ''
  t.match(expired, '<p class="summary bad">The token has expired.</p>')
  t.match(expired, `<th scope="row">token expired</th><td>${expiredAt} (5 seconds ago)</td>`)
  t.match(expired, '<th scope="row">who</th><td>tenant <code>tenant-7</code>, person (app-scoped user ID) <code>100000000000042</code></td>')
  t.match(expired, 'The token no longer works')
  const unknown = articles(page, 'onboarding.something_new')[0] ?? ''
  t.match(unknown, '&quot;page_access_token&quot;:&quot;EAAxxx…xxxx (43 characters)&quot;,&quot;access_token&quot;:&quot;EAAxxx…xxxx (43 characters)&quot;,&quot;token_type&quot;:&quot;user&quot;')
  t.notMatch(page, secret)
})
