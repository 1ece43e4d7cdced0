// The flow chooser as an admin meets it, in headless Chromium on the sandbox: the partner opens a
// session without a flow, the admin compares the flows, picks one with the keyboard or the mouse, and lands on
// the (simulated) Meta dialog for that flow, then back with that flow's webhook. The same with JavaScript
// turned off, since the page must not need it. Screenshots go to test-artifacts/sandbox/.
import t, { type Test } from 'tap'
import type { BrowserContext, Page } from 'playwright-core'
import { FLOW_NAMES, FLOWS, type FlowName } from '../../src/flows/flows.js'
import { ARTIFACTS, sandboxInChromium } from './sandbox-chromium.js'

/** the simulated dialog names each sandbox configuration by its flow's title (src/sandbox/sandbox.ts) */
const dialogLabel = (flow: FlowName): string => FLOWS[flow].words.title

const env = sandboxInChromium(t)

async function context (t: Test, javaScriptEnabled: boolean): Promise<BrowserContext> {
  const ctx = await env.browser.newContext({ javaScriptEnabled })
  t.teardown(() => ctx.close())
  return ctx
}

/** the partner's start page → "Let the admin choose" → the service's chooser */
async function openChooser (t: Test, page: Page): Promise<string> {
  await page.goto(env.sandbox.url)
  await page.click('#start-choose')
  await page.waitForURL(/\/login\/ses_[0-9a-f]{32}$/)
  t.equal(await page.locator('h1').innerText(), 'Choose how to connect your business')
  return new URL(page.url()).pathname.split('/').pop()!
}

/** the dialog the browser ended on is the one of `flow`, with the parameters the dialog must carry */
async function atDialogOf (t: Test, page: Page, flow: FlowName) {
  await page.waitForURL(/\/dialog\/oauth\?/)
  const params = new URL(page.url()).searchParams
  const { meta, redirectUri } = env.sandbox.config
  t.equal(params.get('config_id'), meta.configIds[flow], `${flow}: the dialog of its configuration`)
  t.equal(params.get('client_id'), meta.appId)
  t.equal(params.get('redirect_uri'), redirectUri)
  t.equal(params.get('response_type'), 'code')
  t.equal(params.get('override_default_response_type'), flow === 'asset_based' ? null : 'true')
  t.match(params.get('state') ?? '', /^[A-Za-z0-9_-]{43,}$/)
  t.match(await page.locator('body').innerText(), dialogLabel(flow))
}

/** continue as the admin with the dialog's defaults, and read the webhook the partner received */
async function finish (page: Page): Promise<Record<string, string>> {
  await page.click('#continue')
  await page.click('#save')
  await page.waitForURL(/\/result\?/)
  await page.waitForSelector('#webhook table', { timeout: 15_000 })
  return Object.fromEntries(await page.locator('#webhook tr').evaluateAll((rows) =>
    rows.map((r) => [r.querySelector('th')?.textContent ?? '', r.querySelector('td')?.textContent ?? '']))) as Record<string, string>
}

t.test('each flow chosen with the keyboard, in the order the page shows them, ends at its dialog and webhook', async (t) => {
  const ctx = await context(t, true)
  for (const flow of FLOW_NAMES) {
    const page = await ctx.newPage()
    await openChooser(t, page)
    t.same(await page.locator('.flows > li h2').allInnerTexts(), ['Flow 1: Business portfolio', 'Flow 2: Asset-based', 'Flow 3: Partner billing'])
    t.match(await page.locator('#flow-business_portfolio').innerText(), /Recommended if you are a business portfolio admin/)
    if (flow === 'business_portfolio') await page.screenshot({ path: `${ARTIFACTS}chooser-1-page.png`, fullPage: true })
    // Tab walks the choices in reading order; the focused one shows a visible ring
    const order: string[] = []
    for (let i = 0; i < FLOW_NAMES.length; i++) {
      await page.keyboard.press('Tab')
      order.push(await page.locator(':focus').getAttribute('href') ?? '')
    }
    t.same(order.map((href) => new URL(href, env.sandbox.url).searchParams.get('flow')), [...FLOW_NAMES], 'focus order follows the page')
    for (let i = FLOW_NAMES.indexOf(flow) + 1; i < FLOW_NAMES.length; i++) await page.keyboard.press('Shift+Tab')
    const ring = await page.locator(':focus').evaluate((el) => {
      const style = el.ownerDocument.defaultView!.getComputedStyle(el)
      return { style: style.outlineStyle, width: style.outlineWidth, text: el.textContent as string }
    })
    t.equal(ring.style, 'solid', 'a focus ring')
    t.equal(ring.width, '3px')
    t.match(ring.text, `Continue with ${flow === 'business_portfolio' ? 'Flow 1' : flow === 'asset_based' ? 'Flow 2' : 'Flow 3'}`)
    if (flow === 'business_portfolio') await page.screenshot({ path: `${ARTIFACTS}chooser-2-focus.png`, fullPage: true })
    await page.keyboard.press('Enter')
    await atDialogOf(t, page, flow)
    const webhook = await finish(page)
    t.equal(webhook.type, 'onboarding.completed', `${flow}: completed`)
    t.equal(webhook.flow, flow, `${flow}: the webhook names the chosen flow`)
    t.match(webhook.Signature, /verified/)
    await page.close()
  }
})

t.test('text on the chooser keeps WCAG AA contrast against what is behind it', async (t) => {
  const page = await (await context(t, true)).newPage()
  await openChooser(t, page)
  // runs in the page, where the test's TypeScript has no DOM types: the elements come typed from playwright
  const ratios = await page.locator('h1, h2, p, dt, dd, a, strong').evaluateAll((elements) => {
    const view = elements[0]!.ownerDocument.defaultView!
    const rgb = (c: string) => (c.match(/[\d.]+/g) ?? []).map(Number)
    const lum = ([r, g, b]: number[]) => {
      const [R, G, B] = [r!, g!, b!].map((v) => { const s = v / 255; return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4 })
      return 0.2126 * R! + 0.7152 * G! + 0.0722 * B!
    }
    // the first ancestor with an opaque background is what the text sits on
    const background = (el: typeof elements[number] | null): number[] => {
      for (; el; el = el.parentElement) {
        const c = rgb(view.getComputedStyle(el).backgroundColor)
        if (c.length === 3 || c[3] !== 0) return c
      }
      return [255, 255, 255]
    }
    return elements.map((el) => {
      const [a, b] = [lum(rgb(view.getComputedStyle(el).color)), lum(background(el))].sort((x, y) => y - x)
      return { text: String(el.textContent).slice(0, 40), ratio: (a! + 0.05) / (b! + 0.05) }
    })
  })
  t.ok(ratios.length > 20, `${ratios.length} text elements`)
  for (const { text, ratio } of ratios) if (ratio < 4.5) t.fail(`contrast ${ratio.toFixed(2)} < 4.5 for "${text}"`)
})

t.test('without JavaScript: the chooser works by plain links, and a second choice gets the 409 page', async (t) => {
  const ctx = await context(t, false)
  const page = await ctx.newPage()
  const id = await openChooser(t, page)
  t.equal(await page.locator('a.choose').count(), 3, 'a link per flow')
  await page.screenshot({ path: `${ARTIFACTS}chooser-3-no-javascript.png`, fullPage: true })
  await page.click('text=Continue with Flow 3: Partner billing')
  await atDialogOf(t, page, 'partner_billing')
  // the admin comes back and tries another flow: the first choice stands
  const res = await page.goto(`${env.sandbox.config.publicBaseUrl}/login/${id}?flow=business_portfolio`)
  t.equal(res?.status(), 409)
  t.match(await page.locator('main').innerText(), /already chosen/)
  await page.screenshot({ path: `${ARTIFACTS}chooser-4-conflict.png`, fullPage: true })
  // the chosen flow again is a plain visit, and the login completes with its webhook
  await page.goto(`${env.sandbox.config.publicBaseUrl}/login/${id}?flow=partner_billing`)
  await atDialogOf(t, page, 'partner_billing')
  const webhook = await finish(page)
  t.equal(webhook.flow, 'partner_billing')
  t.equal(webhook['billed ad account'], 'act_777000000000001', 'Flow 3 bills the partner')
})
