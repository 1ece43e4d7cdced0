// The simulated login dialog a person clicks through in the sandbox: "Continue as" the admin, then choose
// the business portfolio, Pages and ad accounts the configuration asks for, or cancel. What is chosen
// becomes the grant behind the code, so the token the service inspects reflects the clicks.
import type { SimulatedGrant } from './meta-simulator-types.js'

export const ASSETS_PATH = '/__sim/dialog/assets'

/** what a Login for Business configuration asks for, as the App Dashboard would have it */
export interface DialogConfig {
  /** shown on the dialog, e.g. "Business Portfolio onboarding" */
  label: string
  kind: SimulatedGrant['kind']
  scopes: string[]
  /** whether the admin picks ad accounts (Partner Billing configurations do not ask for them) */
  adAccounts: boolean
}

interface Asset { id: string; name: string }
interface Portfolio { id: string; name: string; systemUserId: string; pages: Asset[]; adAccounts: Asset[] }

/** the admin and what they manage: the same every time, so a person can recognise it in the webhook */
const SANDBOX_WORLD = {
  admin: { name: 'Alex Admin', userId: '100000000000042' },
  portfolios: [
    {
      id: '880000000000001',
      name: 'Sunrise Bakery',
      systemUserId: '61550000000001',
      pages: [{ id: '102345678901234', name: 'Sunrise Bakery' }, { id: '102345678901235', name: 'Sunrise Bakery Events' }],
      adAccounts: [{ id: '1234567890123456', name: 'Sunrise – Main' }, { id: '1234567890123457', name: 'Sunrise – Promotions' }]
    },
    {
      id: '880000000000002',
      name: 'Harbor Books',
      systemUserId: '61550000000002',
      pages: [{ id: '103456789012345', name: 'Harbor Books' }],
      adAccounts: [{ id: '2345678901234567', name: 'Harbor Books Ads' }]
    }
  ] satisfies Portfolio[]
}

export const DEFAULT_DIALOG_CONFIG: DialogConfig = {
  label: 'Business Portfolio onboarding',
  kind: 'system_user',
  scopes: ['ads_management', 'pages_messaging', 'paid_marketing_messages'],
  adAccounts: true
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }
const esc = (text: string): string => text.replace(/[&<>"']/g, (c) => ESCAPES[c]!)

const STYLE = 'body{margin:0;font-family:Helvetica,Arial,sans-serif;background:#f0f2f5;color:#1c1e21}' +
  'header{background:#1877f2;color:#fff;padding:.6rem 1rem;font-weight:700;font-size:1.5rem;letter-spacing:-.5px}' +
  '.sandbox{background:#fff3cd;color:#5c4400;font-size:.85rem;padding:.45rem 1rem;border-bottom:1px solid #e6d08a}' +
  'main{max-width:31rem;margin:1.5rem auto;background:#fff;border-radius:8px;box-shadow:0 2px 4px rgba(0,0,0,.1),0 8px 16px rgba(0,0,0,.1);padding:1.5rem}' +
  'h1{font-size:1.25rem;margin:0 0 .5rem}p,li{color:#606770;line-height:1.4}fieldset{border:1px solid #dddfe2;border-radius:6px;margin:0 0 1rem;padding:.5rem .9rem}' +
  'legend{font-weight:600;color:#1c1e21;padding:0 .3rem}label{display:block;padding:.3rem 0;color:#1c1e21}' +
  '.actions{display:flex;gap:.6rem;justify-content:flex-end;margin-top:1rem}button,.button{font:inherit;font-weight:600;border:0;border-radius:6px;padding:.55rem 1.1rem;cursor:pointer;text-decoration:none}' +
  '.primary{background:#1877f2;color:#fff}.secondary{background:#e4e6eb;color:#1c1e21}.avatar{width:72px;height:72px;border-radius:50%;background:#c9ccd1;display:flex;align-items:center;justify-content:center;font-size:1.8rem;color:#fff;margin:0 auto .8rem}' +
  '.center{text-align:center}small{color:#8a8d91}'

function page (title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${esc(title)}</title><style>${STYLE}</style></head>` +
    '<body><header>facebook</header><div class="sandbox" role="note"><strong>Sandbox:</strong> a simulated Meta login. Nothing here talks to the real Meta.</div>' +
    `<main>${body}</main></body></html>`
}

/** the original dialog query, carried from step to step */
const hidden = (params: URLSearchParams): string =>
  [...params].map(([k, v]) => `<input type="hidden" name="${esc(k)}" value="${esc(v)}">`).join('')

/** step 1: who is logging in */
export function continueAsPage (params: URLSearchParams, search: string, config: DialogConfig, decidePath: string): string {
  const { admin } = SANDBOX_WORLD
  return page('Log in with Facebook', `<div class="center"><div class="avatar" aria-hidden="true">${esc(admin.name[0]!)}</div>` +
    `<h1>Continue as ${esc(admin.name.split(' ')[0]!)}?</h1><p>Sandbox Partner App is requesting access for <strong>${esc(config.label)}</strong>.</p></div>` +
    `<form method="get" action="${ASSETS_PATH}">${hidden(params)}<div class="actions">` +
    `<a class="button secondary" id="cancel" href="${esc(`${decidePath}?decision=deny&${search}`)}">Cancel</a>` +
    `<button class="primary" id="continue" type="submit">Continue as ${esc(admin.name.split(' ')[0]!)}</button></div></form>` +
    '<p class="center"><small>Not you? This sandbox has only one admin.</small></p>')
}

const checkbox = (name: string, asset: Asset, checked: boolean): string =>
  `<label><input type="checkbox" name="${name}_${esc(asset.id)}" value="on"${checked ? ' checked' : ''}> ${esc(asset.name)} <small>${esc(asset.id)}</small></label>`

/** step 2: what the app may access */
export function assetsPage (params: URLSearchParams, search: string, config: DialogConfig, decidePath: string): string {
  const { portfolios } = SANDBOX_WORLD
  const business = config.kind === 'system_user'
    ? '<fieldset><legend>Business portfolio</legend>' + portfolios.map((p, i) =>
      `<label><input type="radio" name="portfolio" value="${esc(p.id)}"${i === 0 ? ' checked' : ''}> ${esc(p.name)} <small>${esc(p.id)}</small></label>`).join('') + '</fieldset>'
    : ''
  const pages = '<fieldset><legend>Pages</legend>' + portfolios.flatMap((p) => p.pages).map((a, i) => checkbox('page', a, i === 0)).join('') + '</fieldset>'
  const adAccounts = config.adAccounts
    ? '<fieldset><legend>Ad accounts</legend>' + portfolios.flatMap((p) => p.adAccounts).map((a, i) => checkbox('adaccount', a, i === 0)).join('') + '</fieldset>'
    : ''
  const permissions = `<fieldset><legend>Permissions</legend><ul>${config.scopes.map((s) => `<li>${esc(s)}</li>`).join('')}</ul></fieldset>`
  return page('Choose what Sandbox Partner App can access', '<h1>What Sandbox Partner App can access</h1>' +
    `<p>${config.kind === 'system_user' ? 'The app gets a business system user in the portfolio you choose.' : 'The app gets access on your behalf.'}</p>` +
    `<form method="get" action="${decidePath}"><input type="hidden" name="decision" value="approve">${hidden(params)}${business}${pages}${adAccounts}${permissions}` +
    `<div class="actions"><a class="button secondary" id="cancel" href="${esc(`${decidePath}?decision=deny&${search}`)}">Cancel</a>` +
    '<button class="primary" id="save" type="submit">Save</button></div></form>')
}

/**
 * The grant behind the code, from what was ticked. Without any selection (a decision link followed
 * directly) the first portfolio and all of its assets are granted.
 */
export function grantFromSelection (query: Record<string, string>, config: DialogConfig): SimulatedGrant {
  const { portfolios, admin } = SANDBOX_WORLD
  const picked = (prefix: string) => Object.keys(query).filter((k) => k.startsWith(`${prefix}_`) && query[k] === 'on').map((k) => k.slice(prefix.length + 1))
  const portfolio = portfolios.find((p) => p.id === query.portfolio) ?? portfolios[0]!
  const anySelection = Object.keys(query).some((k) => k.startsWith('page_') || k.startsWith('adaccount_') || k === 'portfolio')
  const pageIds = anySelection ? picked('page') : portfolio.pages.map((a) => a.id)
  const adAccountIds = !config.adAccounts ? [] : anySelection ? picked('adaccount') : portfolio.adAccounts.map((a) => a.id)
  return config.kind === 'system_user'
    ? { kind: 'system_user', scopes: [...config.scopes], pageIds, adAccountIds, businessId: portfolio.id, userId: portfolio.systemUserId }
    : { kind: 'user', scopes: [...config.scopes], pageIds, adAccountIds, userId: admin.userId }
}
