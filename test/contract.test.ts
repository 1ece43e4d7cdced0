// The running app against openapi.yaml: every response the probes below provoke — success and error, on
// every route — has a status the file documents for that operation and a body that validates against the
// schema the file gives it (JSON Schema 2020-12, as OpenAPI 3.1 uses). Webhook bodies are checked too.
import { readFileSync } from 'node:fs'
import { Ajv2020 } from 'ajv/dist/2020.js'
import addFormats from 'ajv-formats'
import type { InjectOptions, LightMyRequestResponse } from 'fastify'
import t, { type Test } from 'tap'
import { parse } from 'yaml'
import { hubSignature } from '../src/meta/app-webhook-signature.js'
import { appWebhookBody, businessIntegrationValue } from '../src/sandbox/meta-simulator-callbacks.js'
import { APP_ID, auth, Browser, build, createSession, GRANTS, onboard, VERIFY_TOKEN, type Harness } from './helper.js'

const doc = parse(readFileSync(new URL('../openapi.yaml', import.meta.url), 'utf8'))
const ajv = new Ajv2020({ strict: false, allErrors: true, validateSchema: false })
addFormats.default(ajv)
ajv.addSchema(doc, 'openapi')

const pointer = (...parts: string[]) => parts.map((p) => p.replace(/~/g, '~0').replace(/\//g, '~1')).join('/')

/** the documented response of an operation for a status, following a $ref into components/responses */
function documented (path: string, method: string, status: number): { base: string; response: any } | undefined {
  const responses = doc.paths[path]?.[method]?.responses
  const response = responses?.[String(status)]
  if (!response) return undefined
  if (response.$ref) {
    const name = String(response.$ref).split('/').pop()!
    return { base: `#/${pointer('components', 'responses', name)}`, response: doc.components.responses[name] }
  }
  return { base: `#/${pointer('paths', path, method, 'responses', String(status))}`, response }
}

const checked: string[] = []

function conforms (t: Tap.Test, path: string, method: string, res: LightMyRequestResponse) {
  const label = `${method.toUpperCase()} ${path} → ${res.statusCode}`
  const doc = documented(path, method, res.statusCode)
  if (!doc) return t.fail(`${label}: status not documented`)
  const type = String(res.headers['content-type'] ?? '').split(';')[0]!
  if (type !== 'application/json' && type !== 'application/problem+json') {
    if (doc.response.content && !doc.response.content[type]) t.fail(`${label}: ${type} not documented`)
    return checked.push(label)
  }
  if (!doc.response.content?.[type]) return t.fail(`${label}: ${type} not documented`)
  const validate = ajv.getSchema(`openapi${doc.base}/${pointer('content', type, 'schema')}`)!
  if (!validate(res.json())) t.fail(`${label}: body does not match the schema: ${ajv.errorsText(validate.errors)} — ${res.body.slice(0, 300)}`)
  checked.push(label)
}

namespace Tap { export type Test = { fail: (m: string) => void } }

async function probe (t: Tap.Test, h: Harness, path: string, options: InjectOptions) {
  const res = await h.app.inject(options)
  conforms(t, path, String(options.method ?? 'GET').toLowerCase(), res)
  return res
}

t.test('every route, success and error, answers what openapi.yaml documents', async (t) => {
  const h = await build(t, { env: { RATE_LIMIT_API_PER_MINUTE: '1000', BODY_LIMIT_BYTES: '2048', WEBHOOK_RETRY_SCHEDULE: '10ms' } })
  const unknown = 'ses_00000000000000000000000000000000'
  // sessions
  const created = await probe(t, h, '/v1/sessions', { method: 'POST', url: '/v1/sessions', headers: auth, payload: { flow: 'asset_based', external_id: 'x', metadata: { a: 1 }, return_url: 'https://app.example.com/x' } })
  await probe(t, h, '/v1/sessions', { method: 'POST', url: '/v1/sessions', headers: auth, payload: { flow: 'nope' } })
  await probe(t, h, '/v1/sessions', { method: 'POST', url: '/v1/sessions', payload: { flow: 'asset_based' } })
  await probe(t, h, '/v1/sessions', { method: 'POST', url: '/v1/sessions', headers: auth, payload: { flow: 'asset_based', return_url: 'https://evil.example' } })
  await probe(t, h, '/v1/sessions', { method: 'POST', url: '/v1/sessions', headers: { ...auth, 'content-type': 'text/plain' }, payload: 'x' })
  await probe(t, h, '/v1/sessions', { method: 'POST', url: '/v1/sessions', headers: auth, payload: { flow: 'asset_based', metadata: { pad: 'x'.repeat(3000) } } })
  await probe(t, h, '/v1/sessions/{id}', { url: `/v1/sessions/${created.json().id}`, headers: auth })
  await probe(t, h, '/v1/sessions/{id}', { url: `/v1/sessions/${unknown}`, headers: auth })
  await probe(t, h, '/v1/sessions/{id}/code', { method: 'POST', url: `/v1/sessions/${unknown}/code`, headers: auth, payload: { code: 'x' } })
  await probe(t, h, '/v1/sessions/{id}/code', { method: 'POST', url: `/v1/sessions/${created.json().id}/code`, headers: auth, payload: { code: h.sim.issueCode(GRANTS.asset_based) } })
  await probe(t, h, '/v1/sessions/{id}/code', { method: 'POST', url: `/v1/sessions/${created.json().id}/code`, headers: auth, payload: { code: 'again' } })
  await probe(t, h, '/v1/sessions/{id}/code', { method: 'POST', url: `/v1/sessions/${created.json().id}/code`, headers: auth, payload: { code: '', extra: 1 } })
  await probe(t, h, '/v1/sessions/{id}', { url: `/v1/sessions/${created.json().id}`, headers: auth })
  // a failed and a dead-lettered onboarding, then deliveries; the code's event, sent as soon as it was
  // decided, is received first so that it does not take the failures meant for the next one
  await h.receiver.waitFor((e) => e.length >= 1)
  h.receiver.plan.push(500, 500)
  const denied = await onboard(h, 'business_portfolio', 'deny')
  await h.receiver.waitFor((e) => e.length >= 3)
  await new Promise((resolve) => setTimeout(resolve, 100))
  await probe(t, h, '/v1/sessions/{id}', { url: `/v1/sessions/${denied.session.id}`, headers: auth })
  const dead = await probe(t, h, '/v1/deliveries', { url: '/v1/deliveries?limit=1', headers: auth })
  await probe(t, h, '/v1/deliveries', { url: '/v1/deliveries?status=delivered', headers: auth })
  await probe(t, h, '/v1/deliveries', { url: '/v1/deliveries?limit=0', headers: auth })
  await probe(t, h, '/v1/deliveries', { url: '/v1/deliveries' })
  await probe(t, h, '/v1/deliveries/{id}/redeliver', { method: 'POST', url: `/v1/deliveries/${dead.json().data[0].id}/redeliver`, headers: auth })
  await probe(t, h, '/v1/deliveries/{id}/redeliver', { method: 'POST', url: `/v1/deliveries/${dead.json().data[0].id}/redeliver`, headers: auth })
  await probe(t, h, '/v1/deliveries/{id}/redeliver', { method: 'POST', url: '/v1/deliveries/evt_00000000000000000000000000000000/redeliver', headers: auth })
  // browser and operator routes
  const session = await createSession(h, { flow: 'partner_billing' })
  const browser = new Browser(h.app)
  const login = await browser.get(session.login_url)
  conforms(t, '/login/{session_id}', 'get', login)
  await probe(t, h, '/login/{session_id}', { url: `/login/${unknown}` })
  await probe(t, h, '/login/{session_id}', { url: new URL(denied.session.login_url).pathname })
  conforms(t, '/oauth/callback', 'get', await browser.get(h.sim.approve(login.headers.location as string, GRANTS.partner_billing)))
  await probe(t, h, '/oauth/callback', { url: '/oauth/callback?code=x' })
  conforms(t, '/oauth/callback', 'get', await denied.browser.get(denied.callbackUrl))
  // Meta's "App Not Setup" (error_code without error): the failed session's error.meta is as documented
  const notSetup = await createSession(h, { flow: 'asset_based' })
  const notSetupBrowser = new Browser(h.app)
  const notSetupState = new URL((await notSetupBrowser.get(notSetup.login_url)).headers.location as string).searchParams.get('state')!
  conforms(t, '/oauth/callback', 'get', await notSetupBrowser.get(`/oauth/callback?error_code=1349126&error_message=App+Not+Setup&state=${notSetupState}`))
  await probe(t, h, '/v1/sessions/{id}', { url: `/v1/sessions/${notSetup.id}`, headers: auth })
  // the flow chooser: the session, its page, a choice, and every refusal
  const chooser = await probe(t, h, '/v1/sessions', { method: 'POST', url: '/v1/sessions', headers: auth, payload: { flows: ['business_portfolio', 'asset_based'] } })
  await probe(t, h, '/v1/sessions', { method: 'POST', url: '/v1/sessions', headers: auth, payload: {} })
  await probe(t, h, '/v1/sessions', { method: 'POST', url: '/v1/sessions', headers: auth, payload: { flow: 'asset_based', flows: ['asset_based'] } })
  await probe(t, h, '/v1/sessions', { method: 'POST', url: '/v1/sessions', headers: auth, payload: { flows: [] } })
  await probe(t, h, '/v1/sessions/{id}', { url: `/v1/sessions/${chooser.json().id}`, headers: auth })
  await probe(t, h, '/v1/sessions/{id}/code', { method: 'POST', url: `/v1/sessions/${chooser.json().id}/code`, headers: auth, payload: { code: 'x' } })
  const chooserPath = `/login/${chooser.json().id}`
  await probe(t, h, '/login/{session_id}', { url: chooserPath })
  await probe(t, h, '/login/{session_id}', { url: `${chooserPath}?flow=partner_billing` })
  await probe(t, h, '/login/{session_id}', { url: `${chooserPath}?flow=${'x'.repeat(65)}` })
  await probe(t, h, '/login/{session_id}', { url: `${chooserPath}?flow=asset_based` })
  await probe(t, h, '/login/{session_id}', { url: `${chooserPath}?flow=business_portfolio` })
  await probe(t, h, '/v1/sessions/{id}', { url: `/v1/sessions/${chooser.json().id}`, headers: auth })
  await probe(t, h, '/healthz', { url: '/healthz' })
  await probe(t, h, '/readyz', { url: '/readyz' })
  await probe(t, h, '/metrics', { url: '/metrics' })
  // Meta's app callbacks, and the data deletion they open
  const form = { 'content-type': 'application/x-www-form-urlencoded' }
  const signed = (url: string, signedRequest: string) => ({ method: 'POST' as const, url, headers: form, payload: `signed_request=${signedRequest}` })
  await probe(t, h, '/meta/deauthorize', signed('/meta/deauthorize', h.sim.signedRequest()))
  await probe(t, h, '/meta/deauthorize', signed('/meta/deauthorize', 'a.b'))
  await probe(t, h, '/meta/deauthorize', { method: 'POST', url: '/meta/deauthorize', headers: form, payload: `signed_request=${'A'.repeat(3000)}` })
  await probe(t, h, '/meta/deauthorize', { method: 'POST', url: '/meta/deauthorize', payload: { signed_request: 'x' } })
  const deletion = await probe(t, h, '/meta/data-deletion', signed('/meta/data-deletion', h.sim.signedRequest()))
  await probe(t, h, '/meta/data-deletion', { method: 'POST', url: '/meta/data-deletion', headers: form, payload: 'other=1' })
  await probe(t, h, '/meta/data-deletion', { method: 'POST', url: '/meta/data-deletion', headers: { 'content-type': 'text/plain' }, payload: 'x' })
  const code = deletion.json().confirmation_code
  await probe(t, h, '/meta/data-deletion/{code}', { url: `/meta/data-deletion/${code}` })
  await probe(t, h, '/meta/data-deletion/{code}', { url: '/meta/data-deletion/unknown' })
  await probe(t, h, '/v1/data-deletions/{code}', { method: 'POST', url: `/v1/data-deletions/${code}`, headers: auth, payload: { status: 'completed' } })
  await probe(t, h, '/v1/data-deletions/{code}', { method: 'POST', url: `/v1/data-deletions/${code}`, headers: auth, payload: { status: 'nope' } })
  await probe(t, h, '/v1/data-deletions/{code}', { method: 'POST', url: `/v1/data-deletions/${code}`, payload: { status: 'completed' } })
  await probe(t, h, '/v1/data-deletions/{code}', { method: 'POST', url: '/v1/data-deletions/AAAAAAAAAAAAAAAAAAAAAAAA', headers: auth, payload: { status: 'completed' } })
  await probe(t, h, '/meta/webhooks', { url: `/meta/webhooks?hub.mode=subscribe&hub.verify_token=${VERIFY_TOKEN}&hub.challenge=42` })
  await probe(t, h, '/meta/webhooks', { url: '/meta/webhooks?hub.mode=subscribe&hub.verify_token=wrong&hub.challenge=42' })
  await probe(t, h, '/meta/webhooks', { url: `/meta/webhooks?hub.mode=subscribe&hub.verify_token=${VERIFY_TOKEN}` })
  // Meta's Business Integration change for the business of the completed flow 3 onboarding above, and another field
  const notification = appWebhookBody(APP_ID, 'business_integration_uninstall', businessIntegrationValue(GRANTS.partner_billing.businessId), 1700000000)
  const otherField = appWebhookBody(APP_ID, 'plugin_comment', { id: '1' }, 1700000000)
  const webhook = (body: string, signature: string) => ({ method: 'POST' as const, url: '/meta/webhooks', headers: { 'content-type': 'application/json', 'x-hub-signature-256': signature }, payload: body })
  await probe(t, h, '/meta/webhooks', webhook(notification, hubSignature(notification, h.config.meta.appSecret)))
  await probe(t, h, '/meta/webhooks', webhook(otherField, hubSignature(otherField, h.config.meta.appSecret)))
  await probe(t, h, '/meta/webhooks', webhook(notification, 'sha256=00'))
  await probe(t, h, '/meta/webhooks', webhook('{', hubSignature('{', h.config.meta.appSecret)))
  await probe(t, h, '/meta/webhooks', { method: 'POST', url: '/meta/webhooks', headers: { 'content-type': 'text/plain' }, payload: 'x' })
  await probe(t, h, '/meta/webhooks', webhook('x'.repeat(1024 * 1024 + 1), 'sha256=00'))
  await h.receiver.waitFor((e) => ['meta.deauthorized', 'meta.data_deletion_requested'].every((type) => e.some((x) => x.type === type)) &&
    e.filter((x) => x.type === 'meta.app_event').length >= 2)
  const appEvents = h.receiver.events.filter((e) => e.type === 'meta.app_event').map((e) => e.body.data)
  t.ok(appEvents.some((d) => d.session_ids?.length === 1) && appEvents.some((d) => !('business_id' in d)), 'a Business Integration change naming a session, and another field')
  t.ok(checked.length >= 62, `${checked.length} responses checked`)

  // and what the partner's endpoint received
  checkWebhooks(t, h)
  t.ok(h.receiver.events.length >= 7, `${h.receiver.events.length} webhooks checked`)
  // a schema of the oneOf that does not match is a failure of the check, not a pass
  const appEvent = ajv.getSchema('openapi#/components/schemas/MetaAppEvent')!
  const appData = { object: 'application', entry_id: APP_ID, time: 1, value: null }
  const asAppEvent = (data: unknown) => appEvent({ type: 'meta.app_event', timestamp: '2026-11-24T12:01:02.345Z', data })
  t.equal(asAppEvent({ field: 'x' }), false)
  t.equal(asAppEvent({ ...appData, field: 'business_integration_uninstall' }), false, 'a Business Integration change without business_id and session_ids')
  t.equal(asAppEvent({ ...appData, field: 'plugin_comment', business_id: null, session_ids: [] }), false, 'another field with them')
  t.equal(asAppEvent({ ...appData, field: 'business_integration_install', business_id: null, session_ids: [] }), true)
})

const WEBHOOK_SCHEMAS: Record<string, string> = {
  'onboarding.completed': 'OnboardingCompleted',
  'onboarding.failed': 'OnboardingFailed',
  'onboarding.provisioned': 'OnboardingProvisioned',
  'onboarding.token_expiring': 'OnboardingTokenExpiring',
  'onboarding.token_expired': 'OnboardingTokenExpired',
  'onboarding.revoked': 'OnboardingRevoked',
  'meta.deauthorized': 'MetaDeauthorized',
  'meta.data_deletion_requested': 'MetaDataDeletionRequested',
  'meta.app_event': 'MetaAppEvent'
}

/** every webhook the partner's endpoint received against its documented schema */
function checkWebhooks (t: Test, h: Harness): void {
  for (const event of h.receiver.events) {
    const name = WEBHOOK_SCHEMAS[event.type]
    if (name === undefined) {
      t.fail(`${event.type} webhook has no documented schema`)
      continue
    }
    const validate = ajv.getSchema(`openapi#/components/schemas/${name}`)!
    if (!validate(event.body)) t.fail(`${event.type} webhook does not match ${name}: ${ajv.errorsText(validate.errors)}`)
  }
}

t.test('what follows a completed onboarding: provisioning, expiry notices and revocation, as documented', async (t) => {
  const h = await build(t, { env: { READINESS_CHECKS: undefined, PAGE_SUBSCRIBED_FIELDS: 'messages,feed', DELIVER_PAGE_TOKENS: 'true', TOKEN_EXPIRY_NOTICE: '100d' } })
  h.sim.setAdAccount('5566778899', { accountStatus: 3, businessCountryCode: null, paymentMethod: false })
  const portfolio = await onboard(h, 'business_portfolio', GRANTS.business_portfolio, { external_id: 'tenant-1' })
  const person = await onboard(h, 'asset_based', GRANTS.asset_based)
  h.sim.failNext('ad_account', { status: 400, graphError: { code: 100, error_subcode: 33, message: 'Unsupported get request' } })
  await onboard(h, 'partner_billing', GRANTS.partner_billing)
  await h.receiver.waitFor((e) => e.filter((x) => x.type === 'onboarding.provisioned').length === 3 && e.some((x) => x.type === 'onboarding.token_expiring'), 10_000)
  await probe(t, h, '/v1/sessions/{id}', { url: `/v1/sessions/${portfolio.session.id}`, headers: auth })
  const uninstall = appWebhookBody(APP_ID, 'business_integration_uninstall', businessIntegrationValue(GRANTS.business_portfolio.businessId), 1700000000)
  await probe(t, h, '/meta/webhooks', { method: 'POST', url: '/meta/webhooks', headers: { 'content-type': 'application/json', 'x-hub-signature-256': hubSignature(uninstall, h.config.meta.appSecret) }, payload: uninstall })
  await h.receiver.waitFor((e) => e.some((x) => x.type === 'onboarding.revoked'))
  await probe(t, h, '/v1/sessions/{id}', { url: `/v1/sessions/${portfolio.session.id}`, headers: auth })
  await probe(t, h, '/v1/sessions/{id}', { url: `/v1/sessions/${person.session.id}`, headers: auth })
  checkWebhooks(t, h)
  const types = new Set(h.receiver.events.map((e) => e.type))
  for (const type of ['onboarding.provisioned', 'onboarding.token_expiring', 'onboarding.revoked']) t.ok(types.has(type), `${type} checked`)
  const provisioned = h.receiver.events.filter((e) => e.type === 'onboarding.provisioned').map((e) => JSON.stringify(e.body.data))
  t.ok(provisioned.some((d) => d.includes('"check_failed"')) && provisioned.some((d) => d.includes('"page_subscription_failed"')), 'failed checks and subscriptions among them')
  // the check fails on a provisioned event that breaks its schema
  const validate = ajv.getSchema('openapi#/components/schemas/OnboardingProvisioned')!
  t.equal(validate({ type: 'onboarding.provisioned', timestamp: '2026-11-24T12:01:02.345Z', data: { session_id: 'x', external_id: null, metadata: null, flow: 'asset_based', ready: 'yes' } }), false)
})

t.test('the check itself fails on a body that breaks the schema', async (t) => {
  const validate = ajv.getSchema('openapi#/components/schemas/Session')!
  t.equal(validate({ id: 'ses_x' }), false)
  const problem = ajv.getSchema('openapi#/components/schemas/Problem')!
  t.equal(problem({ type: 'x', title: 'x', status: 400, detail: 'x' }), false, 'a problem without its code')
})
