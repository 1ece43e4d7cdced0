// The readiness that `onboarding.provisioned` reports (README, "Ready to send"), in the words a person needs: a row
// per ad account and per Page, and each warning as a sentence saying what to do. The partner stand-in reads the
// event as it arrived on the wire, so every field is checked before it is shown; a Page token is shown masked.
import { escapeHtml } from '../http/html.js'
import type { AdAccountReport, ProvisioningError, ProvisioningWarning } from '../store/records.js'
import type { DeliveredPage } from '../webhooks/lifecycle-events.js'
import { code, mask } from './inspector-format.js'

const arrayOf = <T>(value: unknown): T[] => Array.isArray(value) ? value as T[] : []

/** `pending_risk_review` → "Pending risk review": Meta's names of account_status, as the event writes them */
export const statusInWords = (account: AdAccountReport): string => {
  if (typeof account.status !== 'string') return 'Not checked'
  if (account.status === 'unknown') return `Unknown to the service (account_status ${String(account.account_status)})`
  const words = account.status.replaceAll('_', ' ')
  return words.charAt(0).toUpperCase() + words.slice(1)
}

/** the service's words and the fields of Meta's answer (code, type, fbtrace_id) that Meta support asks for */
const errorInWords = (error: ProvisioningError | undefined): string => error === undefined
  ? ''
  : `${escapeHtml(error.message)}${error.meta !== undefined ? ` — Meta answered ${code(error.meta)}` : ''}`

const country = (a: AdAccountReport): string => a.business_country_code === null || a.business_country_code === undefined
  ? 'Not given by Meta'
  : `${escapeHtml(a.business_country_code)}, ${a.region_supported === true ? '<span class="ok">served</span>' : '<span class="bad">not served</span>'}`

const yesNo = (value: boolean | null | undefined, yes: string, no: string): string => value === true ? yes : value === false ? no : 'Unknown'

function adAccountsTable (accounts: AdAccountReport[]): string {
  if (accounts.length === 0) return '<p>No ad account was checked.</p>'
  const rows = accounts.map((a) => `<tr><td><code>${escapeHtml(String(a.id))}</code></td>` +
    `<td>${yesNo(a.billing, 'Billed', 'Not billed')}</td>` +
    `<td>${escapeHtml(statusInWords(a))}${a.error !== undefined ? `: ${errorInWords(a.error)}` : ''}</td>` +
    `<td>${country(a)}</td>` +
    `<td>${yesNo(a.has_payment_method, 'Yes', '<span class="bad">No</span>')}</td></tr>`).join('')
  return '<table class="ad-accounts"><caption>Ad accounts</caption><thead><tr><th scope="col">Ad account</th><th scope="col">Billing</th>' +
    `<th scope="col">Status</th><th scope="col">Business country</th><th scope="col">Payment method</th></tr></thead><tbody>${rows}</tbody></table>`
}

function subscriptionInWords (page: DeliveredPage): string {
  if (page.subscription === 'subscribed') return `<span class="ok">Subscribed</span>: ${arrayOf<string>(page.subscribed_fields).map((f) => `<code>${escapeHtml(String(f))}</code>`).join(', ')}`
  if (page.subscription === 'failed') return `<span class="bad">Failed</span>: ${errorInWords(page.error)}`
  return 'Skipped: the service subscribes no field (PAGE_SUBSCRIBED_FIELDS is not set)'
}

function pagesTable (pages: DeliveredPage[]): string {
  if (pages.length === 0) return '<p>No Page was granted.</p>'
  // DELIVER_PAGE_TOKENS puts each Page's token in the event: shown masked, as the onboarding token is
  const tokens = pages.some((p) => 'page_access_token' in p)
  const rows = pages.map((p) => `<tr><td><code>${escapeHtml(String(p.id))}</code></td><td>${subscriptionInWords(p)}</td>` +
    (tokens ? `<td>${p.page_access_token ? `<code>${escapeHtml(mask(p.page_access_token))}</code>` : 'Meta did not give it'}</td>` : '') + '</tr>').join('')
  return `<table class="pages"><caption>Pages</caption><thead><tr><th scope="col">Page</th><th scope="col">Webhook subscription</th>${tokens ? '<th scope="col">Page token</th>' : ''}</tr></thead><tbody>${rows}</tbody></table>`
}

/** what each warning means for the business and what to do about it; the asset's own row gives the details */
function warningSentence (w: ProvisioningWarning, accounts: AdAccountReport[], pages: DeliveredPage[]): string {
  const id = `<code>${escapeHtml(String(w.asset_id))}</code>`
  const account = accounts.find((a) => a.id === w.asset_id)
  switch (w.code) {
    case 'ad_account_no_payment_method':
      return `Ad account ${id} has no payment method: add one in Meta Business Suite &gt; Billing and payments.`
    case 'ad_account_region_not_supported': {
      const where = escapeHtml(account?.business_country_code ?? 'its country')
      return `Ad account ${id} belongs to a business in ${where}: Meta does not let tech providers serve businesses in ${where}, so no marketing message can be sent for it.`
    }
    case 'ad_account_not_active':
      return `Ad account ${id} is ${escapeHtml(account ? statusInWords(account) : 'not active')}, not Active: no campaign runs from it until Meta shows it Active again (Meta Business Suite &gt; Account quality says why).`
    case 'page_subscription_failed': {
      const error = pages.find((p) => p.id === w.asset_id)?.error
      return `Page ${id} was not subscribed, so Meta sends the app none of its webhooks${error ? ` (${errorInWords(error)})` : ''}. ` +
        'Messaging fields (messages, messaging_optins, messaging_postbacks…) need pages_messaging and the Page\u2019s MESSAGING task; any other field needs pages_manage_metadata in the login configuration.'
    }
    case 'check_failed':
      // with DELIVER_PAGE_TOKENS, a Page whose token Meta would not give; otherwise an ad account Meta would not describe
      return pages.some((p) => p.id === w.asset_id) && account === undefined
        ? `Meta did not give the token of Page ${id}: the event carries none for it. Check that the admin granted the Page with a task on it, or open a new session.`
        : `Meta did not answer the check of ${id}, even after the service\u2019s retries: nothing is known about it. Look at it in Meta Business Suite, or open a new session to check again.`
    default:
      return `${id}: ${escapeHtml(String(w.message))}`
  }
}

/** the sentence under the event's heading */
export function readinessSummary (data: Record<string, unknown>): string {
  if (data.ready === true) return '<p class="ok ready">Ready to send</p>'
  const n = arrayOf(data.warnings).length
  return `<p class="bad ready">Not ready to send: ${n} thing${n === 1 ? '' : 's'} to fix below</p>`
}

export function readinessHtml (data: Record<string, unknown>): string {
  const accounts = arrayOf<AdAccountReport>(data.ad_accounts)
  const pages = arrayOf<DeliveredPage>(data.pages)
  const warnings = arrayOf<ProvisioningWarning>(data.warnings)
  const list = warnings.length === 0
    ? ''
    : '<h4>What to fix</h4><ul class="warnings">' + warnings.map((w) =>
      `<li>${warningSentence(w, accounts, pages)} <small>(<code>${escapeHtml(String(w.code))}</code>; the event says “${escapeHtml(String(w.message))}”)</small></li>`).join('') + '</ul>'
  return `${adAccountsTable(accounts)}${pagesTable(pages)}${list}`
}
