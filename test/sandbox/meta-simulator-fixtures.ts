// What the simulated Meta's tests share: one simulator on loopback for the whole test file, reset before each
// test; two grants (a system-user token as flows 1 and 3 get, a user token as flow 2 gets); and calls to it as
// the service makes them (the code exchange, debug_token, appsecret_proof), by hand or through the service's own
// Meta client.
import { createHmac } from 'node:crypto'
import t from 'tap'
import { MetaClient } from '../../src/meta/meta-client.js'
import { MetaSimulator } from '../../src/sandbox/meta-simulator.js'
import type { SimulatedGrant } from '../../src/sandbox/meta-simulator.js'

export const APP_ID = '1234567890'
export const APP_SECRET = 'shh-app-secret'
export const REDIRECT = 'https://onboard.example.com/oauth/callback'
export const V = 'v26.0'

export const sim = new MetaSimulator({ appId: APP_ID, appSecret: APP_SECRET })
await sim.start()
t.teardown(() => sim.close())
t.beforeEach(() => { sim.reset() })

export const flow1: SimulatedGrant = {
  kind: 'system_user',
  scopes: ['ads_management', 'pages_messaging', 'paid_marketing_messages'],
  pageIds: ['111', '222'],
  adAccountIds: ['333'],
  userId: '900000000000001',
  businessId: '8000000000000001'
}
export const flow2: SimulatedGrant = {
  kind: 'user',
  scopes: ['ads_management', 'pages_messaging', 'marketing_messages_messenger'],
  pageIds: ['111'],
  adAccountIds: ['333'],
  userId: '700000000000007'
}

export interface Answer { status: number, body: any, headers: Headers }

export async function call (path: string, query: Record<string, string> = {}, init: RequestInit = {}): Promise<Answer> {
  const qs = new URLSearchParams(query).toString()
  const res = await fetch(`${sim.url}${path}${qs === '' ? '' : `?${qs}`}`, init)
  const text = await res.text()
  let body: unknown = text
  try { body = JSON.parse(text) } catch {}
  return { status: res.status, body, headers: res.headers }
}

export function dialogUrl (overrides: Record<string, string | null> = {}): string {
  const params = new URLSearchParams({
    client_id: APP_ID,
    redirect_uri: REDIRECT,
    config_id: '555',
    state: 's t/ate+1',
    response_type: 'code',
    override_default_response_type: 'true'
  })
  for (const [k, v] of Object.entries(overrides)) {
    if (v === null) params.delete(k)
    else params.set(k, v)
  }
  return `${sim.url}/${V}/dialog/oauth?${params.toString()}`
}

export const exchange = (code: string, extra: Record<string, string> = {}): Promise<Answer> =>
  call(`/${V}/oauth/access_token`, { client_id: APP_ID, client_secret: APP_SECRET, code, ...extra })

export async function tokenFor (grant: SimulatedGrant): Promise<string> {
  const res = await exchange(sim.issueCode(grant))
  return res.body.access_token
}

export function proof (token: string, time = Math.floor(Date.now() / 1000)): Record<string, string> {
  return {
    appsecret_proof: createHmac('sha256', APP_SECRET).update(`${token}|${time}`).digest('hex'),
    appsecret_time: String(time)
  }
}

export const debug = (token: string): Promise<Answer> =>
  call(`/${V}/debug_token`, { input_token: token, access_token: `${APP_ID}|${APP_SECRET}` })

/** the service's Meta client pointed at a simulator (one origin for the Graph and api hosts), retrying at once */
export function metaClient (target: MetaSimulator = sim, now?: () => number): MetaClient {
  return new MetaClient({
    appId: APP_ID,
    appSecret: APP_SECRET,
    graphUrl: target.url,
    apiUrl: target.url,
    graphVersion: V,
    timeoutMs: 2000,
    retryBaseMs: 1,
    ...(now !== undefined ? { now } : {})
  })
}

/** a urlencoded POST body, as the service sends subscribed_apps */
export const formPost = (params: Record<string, string>): RequestInit =>
  ({ method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(params).toString() })
