// How the partner stand-in shows a webhook it received: a heading, a sentence saying what happened, and a table of
// what the event carries, in words where a person would otherwise need the contract (the readiness of
// `onboarding.provisioned`, the expiry notices and revocations that follow a completed onboarding). No token is
// ever shown in clear: the onboarding token and Page tokens are masked, and so is any token field in shown JSON.
import { escapeHtml } from '../http/html.js'
import { code, fromNow, list, mask, when } from './inspector-format.js'
import { readinessHtml, readinessSummary } from './inspector-readiness.js'

export interface Received {
  at: string
  id: string
  verified: boolean
  type: string
  data: Record<string, unknown>
}

type Row = [string, string]

const table = (rows: Row[]): string => `<table>${rows.map(([k, v]) => `<tr><th scope="row">${escapeHtml(k)}</th><td>${v}</td></tr>`).join('')}</table>`

const text = (value: unknown, none = '—'): string => escapeHtml(value === null || value === undefined ? none : String(value))

/** the rows of an event of Meta's app callbacks; a data deletion can be marked done from here */
function metaRows (event: Received): Row[] {
  const d = event.data
  if (event.type === 'meta.app_event') {
    const rows: Row[] = [['object', code(d.object)], ['entry', code(d.entry_id)], ['field', code(d.field)], ['value', code(d.value)]]
    // a Business Integration change: the business, and the sessions the platform onboarded it with
    if ('business_id' in d) rows.push(['business ID', code(d.business_id)], ['sessions', list(d.session_ids)])
    return rows
  }
  const rows: Row[] = [['user', code(d.user_id)], ['issued at', code(d.issued_at)]]
  if (event.type === 'meta.data_deletion_requested') {
    rows.push(
      ['confirmation code', code(d.confirmation_code)],
      ['status page', `<a href="${escapeHtml(String(d.status_url))}">${escapeHtml(String(d.status_url))}</a>`],
      ['deletion', `<form method="post" action="/data-deletion-done"><input type="hidden" name="code" value="${escapeHtml(String(d.confirmation_code))}"><button type="submit" class="mark-deleted">Mark the data deleted</button></form>`]
    )
  }
  return rows
}

function completedRows (d: Record<string, unknown>, now: number): Row[] {
  return [
    ['access token', `<code>${escapeHtml(mask(d.access_token))}</code>`],
    ['token type', text(d.token_type)],
    ['token expires', d.token_expires_at === null || d.token_expires_at === undefined ? 'never' : when(d.token_expires_at, now)],
    ['business ID', `<code>${text(d.business_id)}</code>`],
    ['system user / user', `<code>${text(d.system_user_id ?? d.user_id)}</code>`],
    ['Pages', list(d.page_ids)],
    ['ad accounts', list(d.ad_account_ids)],
    ['billed ad account', `<code>${text(d.billing_ad_account_id)}</code>`],
    ['scopes', list(d.scopes)]
  ]
}

function failedRows (d: Record<string, unknown>): Row[] {
  const error = (d.error ?? {}) as Record<string, unknown>
  const rows: Row[] = [['error', `<code>${text(error.code)}</code> ${text(error.message, '')}`]]
  // what Meta sent back, e.g. error_code 1349126 and its message, or error no_code
  if (error.meta !== undefined) rows.push(['what Meta said', code(error.meta)])
  return rows
}

/** who the session onboarded: the tenant, and the business or the person whose token it was */
const who = (d: Record<string, unknown>): string => [
  d.external_id !== null && d.external_id !== undefined ? `tenant <code>${text(d.external_id)}</code>` : '',
  typeof d.business_id === 'string' ? `business <code>${text(d.business_id)}</code>` : '',
  typeof d.user_id === 'string' ? `person (app-scoped user ID) <code>${text(d.user_id)}</code>` : ''
].filter((part) => part !== '').join(', ') || '—'

const NOTICE_WHY: Record<string, string> = {
  'onboarding.token_expiring': 'A Flow 2 token is a person\u2019s long-lived user token: it lasts about 60 days and only that person can renew it. Open a new session and send them its login_url before the token expires.',
  'onboarding.token_expired': 'The token no longer works: nothing can be sent with it. Open a new session and send the person its login_url to onboard them again.'
}

const REVOKED_WHY: Record<string, string> = {
  business_integration_uninstall: 'The business removed the app\u2019s integration (Meta\u2019s business_integration_uninstall webhook): the token no longer works.',
  deauthorized: 'The person removed the app from their Facebook settings (Meta\u2019s deauthorize callback): the token no longer works.'
}

function lifecycleRows (event: Received, now: number): Row[] {
  const d = event.data
  if (event.type === 'onboarding.revoked') {
    return [['who', who(d)], ['revoked at', when(d.revoked_at, now)], ['why', escapeHtml(REVOKED_WHY[String(d.reason)] ?? String(d.reason))]]
  }
  return [
    ['who', who(d)],
    [event.type === 'onboarding.token_expired' ? 'token expired' : 'token expires', when(d.token_expires_at, now)],
    ['Pages', list(d.page_ids)],
    ['ad accounts', list(d.ad_account_ids)],
    ['why', escapeHtml(NOTICE_WHY[event.type] ?? '')]
  ]
}

/** the sentence under an event's heading, for the events that follow an onboarding */
function summary (event: Received, now: number): string {
  const d = event.data
  switch (event.type) {
    case 'onboarding.provisioned': return readinessSummary(d)
    case 'onboarding.token_expiring': return `<p class="summary">The token expires ${escapeHtml(fromNow(d.token_expires_at, now))}.</p>`
    case 'onboarding.token_expired': return '<p class="summary bad">The token has expired.</p>'
    case 'onboarding.revoked': return `<p class="summary bad">Access revoked: ${escapeHtml(d.reason === 'deauthorized' ? 'the person removed the app' : 'the business removed the integration')}.</p>`
    default: return ''
  }
}

/** the tables of one event, as the result page and the inspector show it */
export function eventTable (event: Received, now: number): string {
  const d = event.data
  const rows: Row[] = [
    ['Signature', event.verified ? '<span class="ok">verified (Standard Webhooks)</span>' : '<span class="bad">NOT verified</span>'],
    ['webhook-id', `<code>${escapeHtml(event.id)}</code>`],
    ['type', `<code>${escapeHtml(event.type)}</code>`]
  ]
  if (event.type.startsWith('meta.')) return table([...rows, ...metaRows(event)])
  rows.push(['session', `<code>${text(d.session_id, '')}</code>`], ['flow', text(d.flow, '')])
  switch (event.type) {
    case 'onboarding.completed': return table([...rows, ...completedRows(d, now)])
    case 'onboarding.failed': return table([...rows, ...failedRows(d)])
    case 'onboarding.provisioned': return table([...rows, ['business ID', `<code>${text(d.business_id)}</code>`]]) + readinessHtml(d)
    case 'onboarding.token_expiring': case 'onboarding.token_expired': case 'onboarding.revoked':
      return table([...rows, ...lifecycleRows(event, now)])
    // an event this stand-in does not know yet: shown as it came, its tokens masked all the same
    default: return table([...rows, ['data', code(d)]])
  }
}

/** one event of the inspector: its heading (type and when it arrived), what it means, and its tables */
export function eventArticle (event: Received, now: number): string {
  return `<article class="event" data-type="${escapeHtml(event.type)}"><h3>${escapeHtml(event.type)} <small>${escapeHtml(event.at)}</small></h3>` +
    `${summary(event, now)}${eventTable(event, now)}</article>`
}
