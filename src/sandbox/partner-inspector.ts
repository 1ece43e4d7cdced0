// The sandbox's stand-in for a partner platform: a start page that opens an onboarding session for each flow
// (or one that lets the admin choose), the return_url page, and the webhook endpoint, which verifies every
// delivery with the reference standardwebhooks library and shows what arrived (the token masked).
import Fastify, { type FastifyInstance } from 'fastify'
import { Webhook } from 'standardwebhooks'
import { escapeHtml } from '../http/html.js'
import { FLOWS, type FlowName } from '../flows/flows.js'
import type { CallbackAnswer } from './meta-simulator-callbacks.js'
import type { AppCallback } from './meta-simulator.js'
import { MISBEHAVIOURS, isMisbehaviour, type MisbehaviourSwitch } from './misbehaviour.js'

export interface InspectorOptions {
  apiKey: string
  webhookSecrets: string[]
  enabledFlows: FlowName[]
  misbehaviour: MisbehaviourSwitch
  /** shown on every page */
  notice: string
  /**
   * has the simulated Meta send one of its app callbacks (or the webhook handshake) to the service; a Business
   * Integration webhook for `businessId` when given
   */
  metaCallback: (kind: MetaCallbackButton, serviceUrl: string, businessId?: string) => Promise<CallbackAnswer>
}

/** the buttons of the start page's "Meta's app callbacks" section */
export type MetaCallbackButton = AppCallback | 'verify_subscription'

const META_BUTTONS: Record<MetaCallbackButton, { label: string; text: string }> = {
  deauthorize: { label: 'Send a deauthorize callback', text: 'A person removed the app: a signed_request to /meta/deauthorize.' },
  data_deletion: { label: 'Send a data deletion request', text: 'A person asked for their data to be deleted: a signed_request to /meta/data-deletion.' },
  business_integration_uninstall: {
    label: 'Send business_integration_uninstall',
    text: 'A business removed the integration: an app webhook to /meta/webhooks, signed with X-Hub-Signature-256, for the business of the latest completed onboarding (a made-up one if none).'
  },
  verify_subscription: { label: 'Verify the webhook subscription', text: 'The handshake Meta makes when the subscription is saved: hub.challenge with the verify token.' }
}
const isMetaButton = (kind: string): kind is MetaCallbackButton => Object.hasOwn(META_BUTTONS, kind)

interface Received {
  at: string
  id: string
  verified: boolean
  type: string
  data: Record<string, unknown>
}

const STYLE = 'body{font-family:system-ui,sans-serif;margin:0;background:#f0f2f5;color:#1c1e21}' +
  '.banner{background:#fff3cd;border-bottom:1px solid #e0c36c;padding:.6rem 1rem;font-size:.9rem}' +
  'main{max-width:60rem;margin:1.5rem auto;padding:0 1rem}section{background:#fff;border-radius:8px;padding:1rem 1.25rem;margin:0 0 1rem;box-shadow:0 1px 2px rgba(0,0,0,.12)}' +
  '.flows{display:grid;grid-template-columns:repeat(auto-fit,minmax(16rem,1fr));gap:1rem}a.button{display:inline-block;background:#1877f2;color:#fff;padding:.55rem 1rem;border-radius:6px;text-decoration:none;font-weight:600}' +
  'table{border-collapse:collapse;width:100%;font-size:.9rem}th,td{text-align:left;padding:.35rem .5rem;border-bottom:1px solid #e4e6eb;vertical-align:top}code{word-break:break-all}' +
  '.ok{color:#1a7f37;font-weight:600}.bad{color:#b42318;font-weight:600}'

const page = (notice: string, title: string, body: string, refresh = false): string =>
  `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">${refresh ? '<meta http-equiv="refresh" content="2">' : ''}` +
  `<title>${escapeHtml(title)}</title><style>${STYLE}</style></head><body><div class="banner" role="note">${escapeHtml(notice)}</div>` +
  `<main><h1>${escapeHtml(title)}</h1>${body}</main></body></html>`

const mask = (token: unknown): string => typeof token === 'string' && token.length > 10 ? `${token.slice(0, 6)}…${token.slice(-4)} (${token.length} characters)` : '—'

const list = (value: unknown): string => Array.isArray(value) && value.length > 0 ? value.map((v) => `<code>${escapeHtml(String(v))}</code>`).join(', ') : '—'

const code = (value: unknown): string => `<code>${escapeHtml(typeof value === 'string' ? value : JSON.stringify(value ?? null))}</code>`

/** the rows of an event of Meta's app callbacks; a data deletion can be marked done from here */
function metaRows (event: Received): Array<[string, string]> {
  const d = event.data
  if (event.type === 'meta.app_event') {
    const rows: Array<[string, string]> = [['object', code(d.object)], ['entry', code(d.entry_id)], ['field', code(d.field)], ['value', code(d.value)]]
    // a Business Integration change: the business, and the sessions the platform onboarded it with
    if ('business_id' in d) rows.push(['business ID', code(d.business_id)], ['sessions', list(d.session_ids)])
    return rows
  }
  const rows: Array<[string, string]> = [['user', code(d.user_id)], ['issued at', code(d.issued_at)]]
  if (event.type === 'meta.data_deletion_requested') {
    rows.push(
      ['confirmation code', code(d.confirmation_code)],
      ['status page', `<a href="${escapeHtml(String(d.status_url))}">${escapeHtml(String(d.status_url))}</a>`],
      ['deletion', `<form method="post" action="/data-deletion-done"><input type="hidden" name="code" value="${escapeHtml(String(d.confirmation_code))}"><button type="submit" class="mark-deleted">Mark the data deleted</button></form>`]
    )
  }
  return rows
}

function eventTable (event: Received): string {
  const d = event.data
  const rows: Array<[string, string]> = [
    ['Signature', event.verified ? '<span class="ok">verified (Standard Webhooks)</span>' : '<span class="bad">NOT verified</span>'],
    ['webhook-id', `<code>${escapeHtml(event.id)}</code>`],
    ['type', `<code>${escapeHtml(event.type)}</code>`]
  ]
  if (event.type.startsWith('meta.')) {
    rows.push(...metaRows(event))
    return `<table>${rows.map(([k, v]) => `<tr><th scope="row">${escapeHtml(k)}</th><td>${v}</td></tr>`).join('')}</table>`
  }
  rows.push(['session', `<code>${escapeHtml(String(d.session_id ?? ''))}</code>`], ['flow', escapeHtml(String(d.flow ?? ''))])
  if (event.type === 'onboarding.completed') {
    rows.push(
      ['access token', `<code>${escapeHtml(mask(d.access_token))}</code>`],
      ['token type', escapeHtml(String(d.token_type))],
      ['token expires', escapeHtml(String(d.token_expires_at ?? 'never'))],
      ['business ID', `<code>${escapeHtml(String(d.business_id ?? '—'))}</code>`],
      ['system user / user', `<code>${escapeHtml(String(d.system_user_id ?? d.user_id ?? '—'))}</code>`],
      ['Pages', list(d.page_ids)],
      ['ad accounts', list(d.ad_account_ids)],
      ['billed ad account', `<code>${escapeHtml(String(d.billing_ad_account_id ?? '—'))}</code>`],
      ['scopes', list(d.scopes)]
    )
  } else {
    const error = (d.error ?? {}) as Record<string, unknown>
    rows.push(['error', `<code>${escapeHtml(String(error.code))}</code> ${escapeHtml(String(error.message ?? ''))}`])
    // what Meta sent back, e.g. error_code 1349126 and its message, or error no_code
    if (error.meta !== undefined) rows.push(['what Meta said', code(error.meta)])
  }
  return `<table>${rows.map(([k, v]) => `<tr><th scope="row">${escapeHtml(k)}</th><td>${v}</td></tr>`).join('')}</table>`
}

export function buildInspector (options: InspectorOptions): { app: FastifyInstance; received: Received[]; setService: (url: string) => void } {
  const app = Fastify({ logger: false, forceCloseConnections: true })
  const received: Received[] = []
  let serviceUrl = ''
  const html = (title: string, body: string, refresh = false) => page(options.notice, title, body, refresh)
  const verifiers = options.webhookSecrets.map((s) => new Webhook(s))
  // the signature is over the exact bytes: keep the raw body
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => { done(null, body) })
  // the start page's buttons post small forms
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(body as string)))
  })
  let lastCallback: { kind: MetaCallbackButton; status: number; body: string } | null = null

  app.post('/hooks', async (request, reply) => {
    const raw = request.body as string
    const headers = request.headers as Record<string, string>
    let data: Record<string, unknown> | null = null
    for (const verifier of verifiers) {
      try {
        data = verifier.verify(raw, headers) as Record<string, unknown>
        break
      } catch {}
    }
    let body = data
    if (body === null) {
      try { body = JSON.parse(raw) as Record<string, unknown> } catch { body = { type: 'unreadable body' } }
    }
    received.unshift({ at: new Date().toISOString(), id: headers['webhook-id'] ?? '', verified: data !== null, type: String(body.type), data: (body.data ?? {}) as Record<string, unknown> })
    received.length = Math.min(received.length, 100)
    return reply.code(204).send()
  })

  app.get('/', async (_request, reply) => {
    const flows = options.enabledFlows.map((flow) =>
      `<section><h2>${escapeHtml(FLOWS[flow].words.title)}</h2><p>${escapeHtml(FLOWS[flow].words.summary)}</p><a class="button" id="start-${flow}" href="/start?flow=${flow}">Start onboarding</a></section>`).join('') +
      // a session opened without a flow: the service shows the admin its flow chooser first
      '<section><h2>Let the admin choose</h2><p>The session names no flow: the admin compares the flows on the service’s chooser page and picks one.</p>' +
      '<a class="button" id="start-choose" href="/start">Start onboarding</a></section>'
    const current = options.misbehaviour.next
    const misbehave = '<section id="misbehave"><h2>Simulate a problem on the next login</h2><form method="get" action="/misbehave">' +
      '<label for="mode">What the simulated Meta does wrong</label> <select id="mode" name="mode">' +
      Object.entries(MISBEHAVIOURS).map(([k, v]) => `<option value="${k}"${k === current ? ' selected' : ''}>${escapeHtml(v)}</option>`).join('') +
      '</select> <button type="submit" id="apply">Apply</button></form>' +
      `<p>Next login: <strong id="next-mode">${escapeHtml(MISBEHAVIOURS[current])}</strong>. To see a denial, press Cancel on the Meta dialog.</p></section>`
    const callbacks = '<section id="meta-callbacks"><h2>Meta\u2019s app callbacks</h2><p>The simulated Meta sends these to the service, signed with the app secret as Meta signs them; each accepted one arrives below as a signed event.</p>' +
      Object.entries(META_BUTTONS).map(([kind, { label, text }]) =>
        `<form method="post" action="/meta-callback/${kind}"><button type="submit" id="meta-${kind}">${escapeHtml(label)}</button> ${escapeHtml(text)}</form>`).join('') +
      (lastCallback ? `<p id="meta-result">Last: <code>${escapeHtml(lastCallback.kind)}</code> answered <strong>${lastCallback.status}</strong> <code>${escapeHtml(lastCallback.body.slice(0, 300))}</code></p>` : '') +
      '</section>'
    const events = received.length === 0
      ? '<p>No webhook yet. Start an onboarding above.</p>'
      : received.map((e) => `<h3>${escapeHtml(e.type)} <small>${escapeHtml(e.at)}</small></h3>${eventTable(e)}`).join('')
    return reply.type('text/html; charset=utf-8').send(html('Onboarding sandbox',
      `<p>Play the partner platform: start an onboarding, go through the simulated Meta login, and see the signed webhook arrive.</p><div class="flows">${flows}</div>${misbehave}${callbacks}<section id="inspector"><h2>Webhook inspector</h2>${events}</section>`))
  })

  app.get<{ Querystring: { mode?: string } }>('/misbehave', async (request, reply) => {
    if (isMisbehaviour(request.query.mode)) options.misbehaviour.set(request.query.mode)
    return reply.redirect('/', 303)
  })

  app.post<{ Params: { kind: string } }>('/meta-callback/:kind', async (request, reply) => {
    const { kind } = request.params
    if (!isMetaButton(kind)) return reply.code(404).send()
    // the newest first: the business of the latest onboarding that named one, so its session shows in the event
    const onboarded = received.find((e) => e.verified && e.type === 'onboarding.completed' && typeof e.data.business_id === 'string')
    const answer = await options.metaCallback(kind, serviceUrl, onboarded?.data.business_id as string | undefined)
    lastCallback = { kind, ...answer }
    return reply.redirect('/#meta-callbacks', 303)
  })

  // the partner platform's side of a data deletion: it deleted the data and tells the service
  app.post<{ Body: { code?: string } }>('/data-deletion-done', async (request, reply) => {
    const res = await fetch(`${serviceUrl}/v1/data-deletions/${encodeURIComponent(request.body?.code ?? '')}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${options.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ status: 'completed' })
    })
    lastCallback = null
    if (!res.ok) return reply.code(400).type('text/html; charset=utf-8').send(html('Could not mark it', `<p>${escapeHtml(await res.text())}</p><p><a href="/">Back</a></p>`))
    const { status_url: statusUrl } = await res.json() as { status_url: string }
    return reply.redirect(statusUrl, 303)
  })

  app.get<{ Querystring: { flow?: string } }>('/start', async (request, reply) => {
    const res = await fetch(`${serviceUrl}/v1/sessions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${options.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ flow: request.query.flow, external_id: 'sandbox-tenant', return_url: `${request.protocol}://${request.host}/result`, metadata: { source: 'sandbox' } })
    })
    const session = await res.json() as { login_url?: string; detail?: string }
    if (!res.ok || !session.login_url) return reply.code(400).type('text/html; charset=utf-8').send(html('Could not start', `<p>${escapeHtml(session.detail ?? 'unknown error')}</p><p><a href="/">Back</a></p>`))
    return reply.redirect(session.login_url, 303)
  })

  app.get<{ Querystring: { session_id?: string; status?: string; error?: string } }>('/result', async (request, reply) => {
    const { session_id: sessionId = '', status = '', error } = request.query
    const event = received.find((e) => e.data.session_id === sessionId)
    const outcome = status === 'completed'
      ? '<p class="ok">The onboarding completed.</p>'
      : status === 'processing'
        ? '<p id="processing">The service is finishing the onboarding: Meta is slow or throttles, the token is kept, and the outcome comes as a webhook below.</p>'
        : `<p class="bad">The onboarding failed: <code>${escapeHtml(error ?? 'unknown')}</code></p>`
    const webhook = event ? eventTable(event) : '<p>Waiting for the webhook… (this page refreshes)</p>'
    return reply.type('text/html; charset=utf-8').send(html('Back on the partner platform',
      `<section>${outcome}<p>Session <code>${escapeHtml(sessionId)}</code></p></section><section id="webhook"><h2>The webhook the platform received</h2>${webhook}</section><p><a class="button" href="/">Start another</a></p>`, !event))
  })

  return { app, received, setService: (url) => { serviceUrl = url } }
}
