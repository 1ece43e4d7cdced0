// The simulated Meta as strict as the real one: codes die after their short life, the dialog takes only the
// app's registered redirect URIs byte for byte, a system-user configuration opened without
// override_default_response_type=true goes nowhere, and the dialog can send the browser back without a code.
import t, { type Test } from 'tap'
import { MetaSimulator, type MetaSimulatorOptions } from '../../src/sandbox/meta-simulator.js'
import type { DialogConfig } from '../../src/sandbox/meta-simulator-login.js'
import { APP_ID, APP_SECRET, dialogUrl, flow1, flow2, REDIRECT, V } from './meta-simulator-fixtures.js'

const CONFIGS: Record<string, DialogConfig> = {
  555: { label: 'Business Portfolio onboarding', kind: 'system_user', scopes: flow1.scopes, adAccounts: true },
  666: { label: 'Asset-based onboarding', kind: 'user', scopes: flow2.scopes, adAccounts: true }
}

async function simulator (t: Test, options: Partial<MetaSimulatorOptions> = {}) {
  const sim = new MetaSimulator({ appId: APP_ID, appSecret: APP_SECRET, ...options })
  await sim.start()
  t.teardown(() => sim.close())
  return sim
}

/** the simulator's dialog URL of the fixtures, on another simulator */
const on = (sim: MetaSimulator, url: string) => url.replace(/^http:\/\/[^/]+/, sim.url)

async function exchangeOn (sim: MetaSimulator, code: string, extra: Record<string, string> = {}) {
  const res = await fetch(`${sim.url}/${V}/oauth/access_token?${new URLSearchParams({ client_id: APP_ID, client_secret: APP_SECRET, code, ...extra })}`)
  return { status: res.status, body: await res.json() as any, headers: res.headers }
}

t.test('a code dies after its life (30 s by default), answered as Meta answers an expired code', async (t) => {
  let now = Date.now()
  const sim = await simulator(t, { now: () => now })
  const code = sim.issueCode(flow1)
  const late = sim.issueCode(flow1)
  now += 29_999
  t.equal((await exchangeOn(sim, code)).status, 200, 'still alive just before 30 s')
  now += 1
  const expired = await exchangeOn(sim, late)
  t.equal(expired.status, 400)
  t.match(expired.body.error, { message: 'This authorization code has expired.', type: 'OAuthException', code: 100, error_subcode: 36007, fbtrace_id: String })
  t.match(expired.headers.get('www-authenticate'), /"invalid_code" "This authorization code has expired\."/)
  t.equal((await exchangeOn(sim, late)).body.error.error_subcode, 36007, 'and it stays expired')
  t.match((await exchangeOn(sim, late, { client_secret: 'wrong' })).body.error, { code: 1 }, 'the app\'s credentials are checked first')
  t.match((await exchangeOn(sim, code)).body.error, { message: 'This authorization code has been used.' }, 'a used code is still said to be used')
})

t.test('codeLifetimeMs sets another life, for a test that needs one', async (t) => {
  let now = Date.now()
  const sim = await simulator(t, { now: () => now, codeLifetimeMs: 600_000 })
  const code = sim.issueCode(flow2)
  now += 599_000
  t.equal((await exchangeOn(sim, code)).status, 200)
})

t.test('registered redirect URIs: the dialog takes only those, byte for byte', async (t) => {
  const sim = await simulator(t, { redirectUris: [REDIRECT] })
  t.ok(new URL(sim.approve(on(sim, dialogUrl()), flow1)).searchParams.get('code'), 'the registered URI')
  for (const other of [`${REDIRECT}?tenant=a`, `${REDIRECT}/`, REDIRECT.replace('https:', 'http:'), REDIRECT.toUpperCase(), 'https://evil.example/oauth/callback']) {
    t.throws(() => sim.approve(on(sim, dialogUrl({ redirect_uri: other })), flow1), /Invalid redirect_uri: Given URL is not allowed by the Application configuration/, other)
    t.throws(() => sim.deny(on(sim, dialogUrl({ redirect_uri: other }))), /Invalid redirect_uri/)
  }
  const page = await fetch(on(sim, dialogUrl({ redirect_uri: `${REDIRECT}?tenant=a` })), { redirect: 'manual' })
  t.equal(page.status, 400, 'the browser gets Meta\'s page, not a redirect')
  t.match(await page.text(), /Invalid redirect_uri/)
  const decide = await fetch(`${sim.url}/__sim/dialog/decide?decision=approve&${new URL(dialogUrl({ redirect_uri: 'https://evil.example/cb' })).searchParams}`, { redirect: 'manual' })
  t.equal(decide.status, 400, 'nor is a decision sent anywhere else')
  sim.registerRedirectUri(`${REDIRECT}?tenant=a`)
  t.ok(sim.approve(on(sim, dialogUrl({ redirect_uri: `${REDIRECT}?tenant=a` })), flow1), 'once registered, that one too')
})

t.test('a system-user configuration without override_default_response_type=true goes nowhere', async (t) => {
  const sim = await simulator(t, { dialogConfigs: CONFIGS })
  const suat = on(sim, dialogUrl({ config_id: '555', override_default_response_type: null }))
  t.throws(() => sim.approve(suat, flow1), /incorrect response_type/)
  t.throws(() => sim.approve(on(sim, dialogUrl({ config_id: '555', override_default_response_type: 'false' })), flow1), /incorrect response_type/)
  const page = await fetch(suat, { redirect: 'manual' })
  t.equal(page.status, 400)
  const text = await page.text()
  t.match(text, /incorrect response_type/)
  t.notMatch(text, /Continue as/, 'no way forward')
  t.ok(sim.approve(on(sim, dialogUrl({ config_id: '555' })), flow1), 'with the override it opens')
  t.ok(sim.approve(on(sim, dialogUrl({ config_id: '666', override_default_response_type: null })), flow2), 'a user-token configuration needs none')
  t.ok(sim.approve(on(sim, dialogUrl({ config_id: '777', override_default_response_type: null })), flow1), 'nor one the simulator was not told about')
})

t.test('the dialog can send the browser back without a code: App Not Setup, the state alone, an OAuth error', async (t) => {
  const sim = await simulator(t)
  const notSetup = new URL(sim.misanswer(on(sim, dialogUrl()), 'app_not_setup'))
  t.same(Object.fromEntries(notSetup.searchParams), {
    error_code: '1349126',
    error_message: 'App Not Setup: The developers of this app have not set up this app properly for Facebook Login.',
    state: 's t/ate+1'
  })
  t.equal(`${notSetup.origin}${notSetup.pathname}`, REDIRECT)
  t.same(Object.fromEntries(new URL(sim.misanswer(on(sim, dialogUrl()), 'no_code')).searchParams), { state: 's t/ate+1' })
  t.match(Object.fromEntries(new URL(sim.misanswer(on(sim, dialogUrl()), 'login_error')).searchParams), { error: 'server_error', state: 's t/ate+1' })
  t.throws(() => sim.misanswer(on(sim, dialogUrl({ state: null })), 'no_code'), /no state/, 'the dialog URL is checked as for a code')

  // and through the dialog's pages, as the sandbox's misbehaviours make it
  const kinds = ['app_not_setup', 'no_code'] as const
  let next = 0
  const clicked = await simulator(t, { beforeApproval: () => kinds[next++]! })
  const query = new URL(dialogUrl()).searchParams
  for (const kind of kinds) {
    const res = await fetch(`${clicked.url}/__sim/dialog/decide?decision=approve&${query}`, { redirect: 'manual' })
    t.equal(res.status, 302)
    const back = new URL(res.headers.get('location')!)
    t.equal(back.searchParams.get('code'), null, `${kind}: no code`)
    t.equal(back.searchParams.get('state'), 's t/ate+1')
    t.equal(back.searchParams.get('error_code'), kind === 'app_not_setup' ? '1349126' : null)
  }
})
