// The sandbox as a person uses it, in headless Chromium (Debian's, driven by playwright-core): each flow and
// the cancel path clicked through page by page, and what the result page and the webhook inspector show.
// Screenshots of every page go to test-artifacts/sandbox/ (ignored by git).
import t, { type Test } from 'tap'
import type { Page } from 'playwright-core'
import { ARTIFACTS, sandboxInChromium } from './sandbox-chromium.js'

const env = sandboxInChromium(t)

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
  t.notMatch(await page.content(), /EAA[A-Za-z0-9]{20,}/, 'and never shown whole')
  await page.goto(env.sandbox.url)
  await shot(page, 'flow1-5-inspector')
  t.match(await page.locator('#inspector').innerText(), /880000000000002/)
})

t.test('Flow 2: Pages and ad accounts without a portfolio; a long-lived user token', async (t) => {
  const page = await env.browser.newPage()
  t.teardown(() => page.close())
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
  // for the business of the latest completed onboarding above: the event names its session
  for (let i = 0; i < 50 && !/meta\.app_event/.test(await page.locator('#inspector h3').first().innerText()); i++) {
    await new Promise((resolve) => setTimeout(resolve, 100))
    await page.reload()
  }
  const rows = Object.fromEntries(await page.locator('#inspector table').first().locator('tr').evaluateAll((trs) =>
    trs.map((r) => [r.querySelector('th')?.textContent ?? '', r.querySelector('td')?.textContent ?? '']))) as Record<string, string>
  await shot(page, 'meta-3-business-integration-event')
  t.equal(rows.field, 'business_integration_uninstall')
  t.match(rows['business ID'], /^[0-9]+$/)
  t.match(rows.sessions, /^ses_[0-9a-f]{32}/)
})
