// The sandbox as a person uses it, in headless Chromium (Debian's, driven by playwright-core): each flow and
// the cancel path clicked through page by page, and what the result page and the webhook inspector show:
// the outcome, the provisioning that followed, the notices and revocations. Screenshots of every page go to
// test-artifacts/sandbox/ (ignored by git).
import t, { type Test } from 'tap'
import type { Page } from 'playwright-core'
import { ARTIFACTS, sandboxInChromium } from './sandbox-chromium.js'

// Page tokens in every onboarding.provisioned, so that each page shown has tokens it must mask
const env = sandboxInChromium(t, { deliverPageTokens: true })

/** any Meta token in clear: the simulator's are EAA and 60 letters or digits */
const CLEAR_TOKEN = /EAA[A-Za-z0-9]{20,}/

async function shot (page: Page, name: string) {
  await page.screenshot({ path: `${ARTIFACTS}${name}.png`, fullPage: true })
}

/** the result page refreshes itself until the partner stand-in has received the webhook */
async function resultWithWebhook (page: Page) {
  await page.waitForSelector('#webhook table', { timeout: 15_000 })
  return {
    outcome: await page.locator('section').first().innerText(),
    webhook: Object.fromEntries(await page.locator('#webhook tr').evaluateAll((rows) =>
      rows.map((r) => [r.querySelector('th')?.textContent ?? '', r.querySelector('td')?.textContent ?? '']))) as Record<string, string>
  }
}

/** the text of the result page's event of `type` that followed the outcome, once it arrived (the page refreshes) */
async function followed (page: Page, type: string): Promise<string> {
  const event = page.locator(`#followed article[data-type="${type}"]`)
  await event.waitFor({ timeout: 15_000 })
  return await event.innerText()
}

/** the inspector's newest event of `type`, once it arrived: the start page reloaded until it shows */
async function inspected (page: Page, type: string): Promise<string> {
  const event = page.locator(`#inspector article[data-type="${type}"]`).first()
  for (let i = 0; i < 50 && await event.count() === 0; i++) {
    await new Promise((resolve) => setTimeout(resolve, 100))
    await page.reload()
  }
  // not there after 5 s: fail now rather than after Playwright's own 30 s
  return await event.innerText({ timeout: 1000 })
}

async function start (t: Test, page: Page, flow: string, name: string) {
  await page.goto(env.sandbox.url)
  t.match(await page.locator('.banner').innerText(), /Meta is simulated/, 'the start page says Meta is simulated')
  await shot(page, `${name}-1-start`)
  await page.click(`#start-${flow}`)
  await page.waitForURL(/\/dialog\/oauth\?/)
  t.match(await page.locator('.sandbox').innerText(), /simulated Meta login/, 'the dialog says it is simulated')
  await shot(page, `${name}-2-continue-as`)
}

t.test('Flow 1: continue as the admin, choose a portfolio, Pages and an ad account', async (t) => {
  const page = await env.browser.newPage()
  t.teardown(() => page.close())
  await start(t, page, 'business_portfolio', 'flow1')
  t.match(await page.locator('h1').innerText(), /Continue as Alex/)
  await page.click('#continue')
  await page.waitForSelector('input[name=portfolio]')
  await page.check('input[name=portfolio][value="880000000000002"]')
  await page.check('input[name="page_103456789012345"]')
  await page.uncheck('input[name="page_102345678901234"]')
  await page.uncheck('input[name="adaccount_1234567890123456"]')
  await page.check('input[name="adaccount_2345678901234567"]')
  await shot(page, 'flow1-3-assets')
  await page.click('#save')
  await page.waitForURL(/\/result\?/)
  const { outcome, webhook } = await resultWithWebhook(page)
  await shot(page, 'flow1-4-result')
  t.match(outcome, /The onboarding completed/)
  t.match(webhook.Signature, /verified/)
  t.equal(webhook.type, 'onboarding.completed')
  t.equal(webhook['business ID'], '880000000000002')
  t.equal(webhook.Pages, '103456789012345')
  t.equal(webhook['ad accounts'], 'act_2345678901234567')
  t.equal(webhook['billed ad account'], 'act_2345678901234567')
  t.match(webhook['access token'], /^EAA.{3}…/, 'the token is masked')
  // provisioning follows: the Page subscribed with the sandbox's fields, the ad account checked, in words
  const provisioned = await followed(page, 'onboarding.provisioned')
  await shot(page, 'flow1-5-provisioned')
  t.match(provisioned, /^Ready to send$/m)
  t.match(provisioned, /^103456789012345\tSubscribed: messages, messaging_optins, messaging_postbacks\tEAA.{3}….{4} \(63 characters\)$/m, 'the Page subscribed, its token masked')
  t.match(provisioned, /^act_2345678901234567\tBilled\tActive\tUS, served\tYes$/m)
  t.notMatch(await page.content(), CLEAR_TOKEN, 'no token is shown whole')
  await page.goto(env.sandbox.url)
  await shot(page, 'flow1-6-inspector')
  t.match(await page.locator('#inspector').innerText(), /880000000000002/)
  // what the simulated Meta recorded: it now sends that Page's webhooks to the app
  t.match(await page.locator('#page-subscriptions').innerText(), /^103456789012345\tmessages, messaging_optins, messaging_postbacks$/m)
  t.notMatch(await page.content(), CLEAR_TOKEN, 'nor on the inspector')
})

/** the start page's token expiry switch, set as a person sets it; what the page then says */
async function tokensExpireSoon (page: Page, soon: boolean): Promise<string> {
  await page.goto(env.sandbox.url)
  await page.setChecked('#token-expires-soon', soon)
  await page.click('#apply-token-expiry')
  await page.waitForURL(/#token-expiry$/)
  return await page.locator('#token-expiry-now').innerText()
}

t.test('Flow 2: Pages and ad accounts without a portfolio; a long-lived user token, switched to expire in a minute', async (t) => {
  const page = await env.browser.newPage()
  t.teardown(() => page.close())
  t.match(await tokensExpireSoon(page, true), /^Flow 2 tokens last 60 seconds$/)
  t.ok(await page.isChecked('#token-expires-soon'), 'the switch shows on')
  await start(t, page, 'asset_based', 'flow2')
  await page.click('#continue')
  await page.waitForSelector('input[name^=page_]')
  t.equal(await page.locator('input[name=portfolio]').count(), 0, 'no portfolio to choose')
  await page.check('input[name="page_102345678901235"]')
  await shot(page, 'flow2-3-assets')
  await page.click('#save')
  await page.waitForURL(/\/result\?/)
  const { outcome, webhook } = await resultWithWebhook(page)
  await shot(page, 'flow2-4-result')
  t.match(outcome, /completed/)
  t.equal(webhook['token type'], 'user')
  t.not(webhook['token expires'], 'never')
  t.equal(webhook['business ID'], '—')
  t.equal(webhook.Pages, '102345678901234, 102345678901235')
  t.equal(webhook['ad accounts'], 'act_1234567890123456')
  const [expiresAt] = webhook['token expires']!.split(' ')
  t.match(webhook['token expires'], /^\S+ \(in \d+ seconds?\)$/, 'a minute away')
  // a minute is less than TOKEN_EXPIRY_NOTICE: the notice is sent at once, and says when the token expires
  await page.goto(env.sandbox.url)
  const expiring = await inspected(page, 'onboarding.token_expiring')
  await shot(page, 'flow2-5-token-expiring')
  t.match(expiring, /^The token expires in \d+ seconds?\.$/m)
  t.match(expiring, new RegExp(`^token expires\t${expiresAt!.replaceAll('.', '\\.')} \\(in \\d+ seconds?\\)$`, 'm'))
  t.ok(Date.parse(expiresAt!) - Date.now() <= 60_000, 'within the minute')
  t.match(expiring, /^who\ttenant sandbox-tenant, person \(app-scoped user ID\) 100000000000042$/m)
  t.match(await tokensExpireSoon(page, false), /^Flow 2 tokens last about 60 days/, 'switched back to Meta\'s lifetime')
  t.notOk(await page.isChecked('#token-expires-soon'))
})

t.test('Flow 3: Pages only; the partner ad account is billed', async (t) => {
  const page = await env.browser.newPage()
  t.teardown(() => page.close())
  await start(t, page, 'partner_billing', 'flow3')
  await page.click('#continue')
  await page.waitForSelector('input[name=portfolio]')
  t.equal(await page.locator('input[name^=adaccount_]').count(), 0, 'no ad accounts asked')
  await shot(page, 'flow3-3-assets')
  await page.click('#save')
  await page.waitForURL(/\/result\?/)
  const { outcome, webhook } = await resultWithWebhook(page)
  await shot(page, 'flow3-4-result')
  t.match(outcome, /completed/)
  t.equal(webhook['business ID'], '880000000000001')
  t.equal(webhook['billed ad account'], 'act_777000000000001')
  t.same(env.sandbox.meta.assetConnections.map((c) => c.assetId), ['777000000000001'])
})

t.test('Cancel on the dialog: the platform hears user_denied', async (t) => {
  const page = await env.browser.newPage()
  t.teardown(() => page.close())
  await start(t, page, 'business_portfolio', 'cancel')
  await page.click('#cancel')
  await page.waitForURL(/\/result\?/)
  const { outcome, webhook } = await resultWithWebhook(page)
  await shot(page, 'cancel-3-result')
  t.match(outcome, /failed: user_denied/)
  t.equal(webhook.type, 'onboarding.failed')
  t.match(webhook.error, /^user_denied/)
})

/** chooses a problem on the start page, then a login of `flow` clicked through to the partner's result page */
async function loginWithProblem (t: Test, page: Page, mode: string, shown: RegExp, flow: string, name: string) {
  await page.goto(env.sandbox.url)
  await page.selectOption('#mode', mode)
  await page.click('#apply')
  await page.waitForSelector('#next-mode')
  t.match(await page.locator('#next-mode').innerText(), shown)
  await shot(page, `${name}-1-chosen`)
  await page.click(`#start-${flow}`)
  await page.click('#continue')
  await page.click('#save')
  await page.waitForURL(/\/result\?/)
  const result = await resultWithWebhook(page)
  await shot(page, `${name}-2-result`)
  return result
}

t.test('A problem chosen on the sandbox page: one permission too few', async (t) => {
  const page = await env.browser.newPage()
  t.teardown(() => page.close())
  const { outcome, webhook } = await loginWithProblem(t, page, 'missing_permission', /one permission too few/, 'business_portfolio', 'misbehave')
  t.match(outcome, /failed: missing_permissions/)
  t.match(webhook.error, /paid_marketing_messages/)
  await page.goto(env.sandbox.url)
  t.match(await page.locator('#next-mode').innerText(), /Nothing/, 'applied once, then reset')
})

t.test('A problem chosen on the sandbox page: Meta answers "App Not Setup" instead of a code', async (t) => {
  const page = await env.browser.newPage()
  t.teardown(() => page.close())
  const { outcome, webhook } = await loginWithProblem(t, page, 'app_not_setup', /App Not Setup/, 'partner_billing', 'app-not-setup')
  t.match(outcome, /failed: login_error/)
  t.equal(webhook.type, 'onboarding.failed')
  t.match(webhook['what Meta said'], /"error_code":"1349126","error_message":"App Not Setup: The developers of this app/)
})

t.test('A problem chosen on the sandbox page: the ad accounts have no payment method, and the partner is told what to do', async (t) => {
  const page = await env.browser.newPage()
  t.teardown(() => page.close())
  const { outcome } = await loginWithProblem(t, page, 'ad_account_no_payment', /no payment method/, 'business_portfolio', 'no-payment')
  t.match(outcome, /The onboarding completed/, 'a warning, not a failure')
  const provisioned = await followed(page, 'onboarding.provisioned')
  await shot(page, 'no-payment-3-provisioned')
  t.match(provisioned, /^Not ready to send: \d+ things? to fix below$/m)
  t.match(provisioned, /^act_\d+\t(Not billed|Billed)\tActive\tUS, served\tNo$/m)
  t.match(provisioned, /Ad account act_\d+ has no payment method: add one in Meta Business Suite > Billing and payments\./)
  await page.goto(env.sandbox.url)
  t.match(await inspected(page, 'onboarding.provisioned'), /add one in Meta Business Suite > Billing and payments/, 'the inspector shows it too')
})

t.test('Meta\'s app callbacks from the start page: a data deletion request, marked done, and its status page', async (t) => {
  const page = await env.browser.newPage()
  t.teardown(() => page.close())
  await page.goto(env.sandbox.url)
  await page.click('#meta-data_deletion')
  await page.waitForSelector('#meta-result')
  t.match(await page.locator('#meta-result').innerText(), /answered 200/)
  // the event reaches the inspector a moment after the answer
  for (let i = 0; i < 50 && await page.locator('.mark-deleted').count() === 0; i++) {
    await new Promise((resolve) => setTimeout(resolve, 100))
    await page.reload()
  }
  t.match(await page.locator('#inspector').innerText(), /meta\.data_deletion_requested/)
  await shot(page, 'meta-1-data-deletion-event')
  await page.click('.mark-deleted')
  await page.waitForURL(/\/meta\/data-deletion\//)
  t.match(await page.locator('h1').innerText(), /Your data has been deleted/)
  await shot(page, 'meta-2-status-page')
  await page.goto(env.sandbox.url)
  await page.click('#meta-business_integration_uninstall')
  await page.waitForSelector('#meta-result')
  t.match(await page.locator('#meta-result').innerText(), /answered 200/)
  // for the business of the latest completed onboarding above (the one without a payment method): the event
  // names its sessions, and each is revoked
  await inspected(page, 'meta.app_event')
  const rows = Object.fromEntries(await page.locator('#inspector article[data-type="meta.app_event"]').first().locator('tr').evaluateAll((trs) =>
    trs.map((r) => [r.querySelector('th')?.textContent ?? '', r.querySelector('td')?.textContent ?? '']))) as Record<string, string>
  t.equal(rows.field, 'business_integration_uninstall')
  t.equal(rows['business ID'], '880000000000001', 'the portfolio of the latest completed onboarding with one')
  const sessions = rows.sessions!.split(', ')
  t.ok(sessions.length >= 2 && sessions.every((s) => /^ses_[0-9a-f]{32}$/.test(s)), `its sessions: Flow 3's and the last Flow 1's (${rows.sessions})`)
  const revoked = page.locator('#inspector article[data-type="onboarding.revoked"]')
  for (let i = 0; i < 50 && await revoked.count() < sessions.length; i++) {
    await new Promise((resolve) => setTimeout(resolve, 100))
    await page.reload()
  }
  await shot(page, 'meta-3-business-integration-revoked')
  const texts = await revoked.allInnerTexts()
  t.equal(texts.length, sessions.length, 'one onboarding.revoked per session')
  for (const session of sessions) {
    const text = texts.find((x) => x.includes(session)) ?? ''
    t.match(text, /^Access revoked: the business removed the integration\.$/m, `${session} revoked`)
    t.match(text, /^who\ttenant sandbox-tenant, business 880000000000001$/m)
    t.match(text, /^revoked at\t\S+ \(\d+ seconds? ago\)$/m)
  }
  t.notMatch(await page.content(), CLEAR_TOKEN, 'no token in clear on the inspector, whatever it received')
})
