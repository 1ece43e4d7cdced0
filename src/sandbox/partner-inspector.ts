// The sandbox's stand-in for a partner platform: a start page that opens an onboarding session for each flow
// (or one that lets the admin choose), the return_url page, and the webhook endpoint, which verifies every
// delivery with the reference standardwebhooks library and shows what arrived (inspector-events.ts, tokens
// masked). The start page also holds the sandbox's switches and what the simulated Meta recorded.
import Fastify, { type FastifyInstance } from 'fastify'
import { Webhook } from 'standardwebhooks'
import { escapeHtml } from '../http/html.js'
import { FLOWS, type FlowName } from '../flows/flows.js'
import { eventArticle, eventTable, type Received } from './inspector-events.js'
import type { CallbackAnswer } from './meta-simulator-callbacks.js'
import type { AppCallback, AppCallbackSubject } from './meta-simulator.js'
import { MISBEHAVIOURS, isMisbehaviour, type MisbehaviourSwitch } from './misbehaviour.js'

export interface InspectorOptions {
  apiKey: string
  webhookSecrets: string[]
  enabledFlows: FlowName[]
  misbehaviour: MisbehaviourSwitch
  /** shown on every page */
  notice: string
  /**
   * has the simulated Meta send one of its app callbacks (or the webhook handshake) to the service: a Business
   * Integration webhook for the subject's business, a deauthorize callback for its person, when given
   */
  metaCallback: (kind: MetaCallbackButton, serviceUrl: string, subject: AppCallbackSubject) => Promise<CallbackAnswer>
  /** the Pages the simulated Meta has the app subscribed to, and their fields: what Meta now sends to the app */
  pageSubscriptions: () => Array<{ pageId: string, fields: string[] }>
  tokenExpiry: TokenExpirySwitch
}

/** whether the long-lived user tokens of the next Flow 2 logins last a minute instead of Meta's ~60 days */
export interface TokenExpirySwitch {
  readonly soon: boolean
  set: (soon: boolean) => void
}

/** the buttons of the start page's "Meta's app callbacks" section */
export type MetaCallbackButton = AppCallback | 'verify_subscription'

const META_BUTTONS: Record<MetaCallbackButton, { label: string; text: string }> = {
  deauthorize: {
    label: 'Send a deauthorize callback',
    text: 'A person removed the app: a signed_request to /meta/deauthorize, for the person of the latest completed Flow 2 onboarding (a made-up one if none), whose sessions it revokes.'
  },
  data_deletion: { label: 'Send a data deletion request', text: 'A person asked for their data to be deleted: a signed_request to /meta/data-deletion.' },
  business_integration_uninstall: {
    label: 'Send business_integration_uninstall',
    text: 'A business removed the integration: an app webhook to /meta/webhooks, signed with X-Hub-Signature-256, for the business of the latest completed onboarding that has one (a made-up one if none), whose sessions it revokes.'
  },
  verify_subscription: { label: 'Verify the webhook subscription', text: 'The handshake Meta makes when the subscription is saved: hub.challenge with the verify token.' }
}
const isMetaButton = (kind: string): kind is MetaCallbackButton => Object.hasOwn(META_BUTTONS, kind)

const STYLE = 'body{font-family:system-ui,sans-serif;margin:0;background:#f0f2f5;color:#1c1e21}' +
  '.banner{background:#fff3cd;border-bottom:1px solid #e0c36c;padding:.6rem 1rem;font-size:.9rem}' +
  'main{max-width:60rem;margin:1.5rem auto;padding:0 1rem}section{background:#fff;border-radius:8px;padding:1rem 1.25rem;margin:0 0 1rem;box-shadow:0 1px 2px rgba(0,0,0,.12)}' +
  '.flows{display:grid;grid-template-columns:repeat(auto-fit,minmax(16rem,1fr));gap:1rem}a.button{display:inline-block;background:#1877f2;color:#fff;padding:.55rem 1rem;border-radius:6px;text-decoration:none;font-weight:600}' +
  'table{border-collapse:collapse;width:100%;font-size:.9rem}th,td{text-align:left;padding:.35rem .5rem;border-bottom:1px solid #e4e6eb;vertical-align:top}code{word-break:break-all}' +
  '.ok{color:#1a7f37;font-weight:600}.bad{color:#b42318;font-weight:600}' +
  'article.event{border-top:1px solid #ccd0d5;padding-top:.5rem;margin-top:1rem}caption{text-align:left;font-weight:600;padding:.6rem 0 .2rem}p.ready{font-size:1.05rem}.warnings li{margin:.3rem 0}'

/** the switch of Flow 2 tokens that expire soon, in the form of the misbehaviour switch */
function tokenExpirySection (soon: boolean): string {
  return '<section id="token-expiry"><h2>A Flow 2 token that expires soon</h2><form method="get" action="/token-expiry">' +
    `<input type="checkbox" id="token-expires-soon" name="soon" value="on"${soon ? ' checked' : ''}> ` +
    '<label for="token-expires-soon">The long-lived user token of the next Flow 2 logins lasts 60 seconds</label> <button type="submit" id="apply-token-expiry">Apply</button></form>' +
    `<p>Now: <strong id="token-expiry-now">${soon ? 'Flow 2 tokens last 60 seconds' : 'Flow 2 tokens last about 60 days, as Meta’s'}</strong>. ` +
    'A minute is less than the service’s notice (TOKEN_EXPIRY_NOTICE, 7 days here): onboarding.token_expiring arrives at once, onboarding.token_expired a minute later (reload this page to see it).</p></section>'
}

/** what the simulated Meta recorded of provisioning: the Pages whose webhooks it now sends to the app */
function subscriptionsSection (subscriptions: Array<{ pageId: string, fields: string[] }>): string {
  const rows = subscriptions.map((s) => `<tr><td><code>${escapeHtml(s.pageId)}</code></td><td>${s.fields.map((f) => `<code>${escapeHtml(f)}</code>`).join(', ')}</td></tr>`).join('')
  return '<section id="page-subscriptions"><h2>What Meta now sends to the app</h2><p>The Pages the simulated Meta has the app subscribed to (<code>POST /{page-id}/subscribed_apps</code> with the Page’s token), and the webhook fields of each.</p>' +
    (subscriptions.length === 0
      ? '<p>No Page is subscribed yet: complete an onboarding with a Page.</p>'
      : `<table><thead><tr><th scope="col">Page</th><th scope="col">Webhook fields</th></tr></thead><tbody>${rows}</tbody></table>`) + '</section>'
}

const page = (notice: string, title: string, body: string, refresh = false): string =>
  `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">${refresh ? '<meta http-equiv="refresh" content="1">' : ''}` +
  `<title>${escapeHtml(title)}</title><style>${STYLE}</style></head><body><div class="banner" role="note">${escapeHtml(notice)}</div>` +
  `<main><h1>${escapeHtml(title)}</h1>${body}</main></body></html>`

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
    const now = Date.now()
    const events = received.length === 0
      ? '<p>No webhook yet. Start an onboarding above.</p>'
      : received.map((e) => eventArticle(e, now)).join('')
    return reply.type('text/html; charset=utf-8').send(html('Onboarding sandbox',
      `<p>Play the partner platform: start an onboarding, go through the simulated Meta login, and see the signed webhook arrive.</p><div class="flows">${flows}</div>${misbehave}` +
      `${tokenExpirySection(options.tokenExpiry.soon)}${callbacks}${subscriptionsSection(options.pageSubscriptions())}<section id="inspector"><h2>Webhook inspector</h2>${events}</section>`))
  })

  app.get<{ Querystring: { mode?: string } }>('/misbehave', async (request, reply) => {
    if (isMisbehaviour(request.query.mode)) options.misbehaviour.set(request.query.mode)
    return reply.redirect('/', 303)
  })

  // a checkbox form: on when `soon=on`, off when the box is left unchecked (the form then sends nothing)
  app.get<{ Querystring: { soon?: string } }>('/token-expiry', async (request, reply) => {
    options.tokenExpiry.set(request.query.soon === 'on')
    return reply.redirect('/#token-expiry', 303)
  })

  app.post<{ Params: { kind: string } }>('/meta-callback/:kind', async (request, reply) => {
    const { kind } = request.params
    if (!isMetaButton(kind)) return reply.code(404).send()
    // the newest first: the business of the latest onboarding that named one and the person of the latest Flow 2
    // one, so that the callback concerns (and revokes) sessions the inspector shows
    const completed = (field: 'business_id' | 'user_id'): string | undefined =>
      received.find((e) => e.verified && e.type === 'onboarding.completed' && typeof e.data[field] === 'string')?.data[field] as string | undefined
    const answer = await options.metaCallback(kind, serviceUrl, { businessId: completed('business_id'), userId: completed('user_id') })
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
    const ofSession = received.filter((e) => e.data.session_id === sessionId)
    // the outcome, whichever arrived first: onboarding.provisioned may overtake onboarding.completed
    const event = ofSession.find((e) => e.type === 'onboarding.completed' || e.type === 'onboarding.failed')
    const followed = ofSession.filter((e) => e !== event).reverse()
    const outcome = status === 'completed'
      ? '<p class="ok">The onboarding completed.</p>'
      : status === 'processing'
        ? '<p id="processing">The service is finishing the onboarding: Meta is slow or throttles, the token is kept, and the outcome comes as a webhook below.</p>'
        : `<p class="bad">The onboarding failed: <code>${escapeHtml(error ?? 'unknown')}</code></p>`
    const now = Date.now()
    const webhook = event ? eventTable(event, now) : '<p>Waiting for the webhook… (this page refreshes)</p>'
    // the sandbox provisions every completed session: the page waits for that event too
    const provisioned = followed.some((e) => e.type === 'onboarding.provisioned')
    const waiting = event === undefined || (event.type === 'onboarding.completed' && !provisioned)
    const after = event?.type !== 'onboarding.completed'
      ? ''
      : `<section id="followed"><h2>What followed</h2>${followed.map((e) => eventArticle(e, now)).join('')}${provisioned ? '' : '<p>Waiting for onboarding.provisioned: the service is subscribing the Pages and checking the ad accounts… (this page refreshes)</p>'}</section>`
    return reply.type('text/html; charset=utf-8').send(html('Back on the partner platform',
      `<section>${outcome}<p>Session <code>${escapeHtml(sessionId)}</code></p></section><section id="webhook"><h2>The webhook the platform received</h2>${webhook}</section>${after}<p><a class="button" href="/">Start another</a></p>`, waiting))
  })

  return { app, received, setService: (url) => { serviceUrl = url } }
}
