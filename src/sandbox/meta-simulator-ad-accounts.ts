// The ad account readiness read provisioning makes (`GET /act_{id}`, Marketing API Ad Account reference,
// https://developers.facebook.com/docs/marketing-api/reference/ad-account/), answered only to a token that can see
// the account, and each account's state, which a test or the sandbox sets.
import { graphError, json } from './meta-simulator-http.js'
import type { SimResponse } from './meta-simulator-http.js'
import { isResponse, requestedFields } from './meta-simulator-graph.js'
import type { SimContext, SimRequest } from './meta-simulator-graph.js'
import { identify } from './meta-simulator-pages.js'
import type { SimulatedPages } from './meta-simulator-pages.js'
import type { SimulatedAdAccount } from './meta-simulator-types.js'

/** an account nobody has set: active, in a served region, with a payment method */
export const DEFAULT_AD_ACCOUNT: Required<SimulatedAdAccount> = { accountStatus: 1, disableReason: 0, businessCountryCode: 'US', paymentMethod: true }

/** `act_123` or `123` as the digits the simulator keys accounts by; anything else is a mistake in the caller */
export function adAccountDigits (id: string): string {
  const match = /^(?:act_)?(\d+)$/.exec(id)
  if (match === null) throw new RangeError(`an ad account id is digits or act_<digits>, got ${JSON.stringify(id)}`)
  return match[1]!
}

export class SimulatedAdAccounts {
  readonly #states = new Map<string, Required<SimulatedAdAccount>>()

  set (id: string, state: SimulatedAdAccount): void {
    const digits = adAccountDigits(id)
    const defined = Object.fromEntries(Object.entries(state).filter(([, v]) => v !== undefined))
    this.#states.set(digits, { ...this.get(digits), ...defined })
  }

  get (digits: string): Required<SimulatedAdAccount> {
    return { ...(this.#states.get(digits) ?? DEFAULT_AD_ACCOUNT) }
  }

  clear (): void {
    this.#states.clear()
  }
}

const ADS_PERMISSION = '(#200) Ad account owner has NOT grant ads_management or ads_read permission'

const notVisible = (id: string): SimResponse => graphError({
  code: 100,
  error_subcode: 33,
  type: 'GraphMethodException',
  message: `Unsupported get request. Object with ID '${id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation. Please read the Graph API documentation at https://developers.facebook.com/docs/graph-api`
}, 400, { 'www-authenticate': 'OAuth "Facebook Platform" "invalid_request" "Unsupported get request."' })

/**
 * `GET /{ver}/act_{id}`: the fields asked for, to a user or system-user token with `ads_management` or `ads_read`
 * that can see the account (granted, or for flow 3 connected to the token's system user by asset-connections).
 */
export function adAccount (req: SimRequest, ctx: SimContext, pages: SimulatedPages, accounts: SimulatedAdAccounts, digits: string): SimResponse {
  const caller = identify(req.query, ctx, pages)
  if (isResponse(caller)) return caller
  const g = caller.grant
  // a Page token carries no ads permission of its own (docs/meta.md)
  if (caller.pageId !== undefined || !g.scopes.some((s) => s === 'ads_management' || s === 'ads_read')) {
    return graphError({ code: 200, message: ADS_PERMISSION }, 403)
  }
  const connected = g.kind === 'system_user' && ctx.assetConnections.some((c) => c.systemUserId === g.userId && c.assetId === digits)
  if (!g.adAccountIds.includes(digits) && !connected) return notVisible(`act_${digits}`)
  const state = accounts.get(digits)
  const values: Record<string, unknown> = {
    id: `act_${digits}`,
    account_id: digits,
    name: `Simulated ad account ${digits}`,
    currency: 'USD',
    account_status: state.accountStatus,
    disable_reason: state.disableReason,
    // Meta leaves out a field it has no value for, rather than sending null
    business_country_code: state.businessCountryCode ?? undefined,
    funding_source_details: state.paymentMethod ? { id: digits.slice(-8).padStart(8, '1'), display_string: 'Visa *1234', type: 1 } : undefined
  }
  const body: Record<string, unknown> = {}
  for (const field of requestedFields(req.query, ['id'])) {
    if (!(field in values)) return graphError({ code: 100, message: `(#100) Tried accessing nonexisting field (${field}) on node type (AdAccount)` })
    if (values[field] !== undefined) body[field] = values[field]
  }
  // every node answer carries its id
  body['id'] = values['id']
  return json(body)
}
