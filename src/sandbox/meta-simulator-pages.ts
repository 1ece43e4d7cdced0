// The Page calls provisioning makes, as strict as Meta documents them (docs/meta.md, "Provisioning: Pages and ad
// accounts"): a Page's own token read with the onboarding token, and the app subscribed to the Page's webhook
// fields with that Page token, never with the token it came from.
import { MSG, graphError, json } from './meta-simulator-http.js'
import type { SimResponse } from './meta-simulator-http.js'
import { isResponse, proofProblem, requestedFields } from './meta-simulator-graph.js'
import type { SimContext, SimRequest } from './meta-simulator-graph.js'
import { newAccessToken, tokenProblem } from './meta-simulator-store.js'
import type { ResolvedGrant, TokenRecord } from './meta-simulator-store.js'

/**
 * The values `subscribed_fields` takes: the `SubscribedFields` enum of the Page node in Meta's own Business SDK
 * (facebook-python-business-sdk, facebook_business/adobjects/page.py), generated from the Graph API's specification.
 */
export const PAGE_WEBHOOK_FIELDS: ReadonlySet<string> = new Set(`affiliation attire awards bio birthday call_permission_reply
  calls category checkins company_overview conversations culinary_team current_location description email
  feature_access_list feed founded general_info general_manager group_feed hometown hours inbox_labels
  invalid_topic_placeholder invoice_access_bank_slip_events invoice_access_invoice_change
  invoice_access_invoice_draft_change invoice_access_onboarding_status_active leadgen leadgen_fat live_videos
  local_delivery location marketing_message_delivery_failed mcom_invoice_change members mention merchant_review
  message_context message_deliveries message_echoes message_edits message_mention message_reactions message_reads
  message_template_status_update messages messaging_account_linking messaging_appointments messaging_checkout_updates
  messaging_customer_information messaging_direct_sends messaging_fblogin_account_linking messaging_feedback
  messaging_game_plays messaging_handovers messaging_in_thread_lead_form_submit messaging_integrity messaging_optins
  messaging_optouts messaging_payments messaging_policy_enforcement messaging_postbacks messaging_pre_checkouts
  messaging_referrals mission name page_about_story page_change_proposal page_upcoming_change parking payment_options
  payment_request_update personal_info personal_interests phone picture price_range product_review products
  public_transit publisher_subscriptions ratings registration response_feedback send_cart standby user_action
  video_text_question_responses videos website`.split(/\s+/))

/**
 * Messenger's fields (the Messenger Platform's webhook events reference) need `pages_messaging`; every other Page
 * field needs `pages_manage_metadata` and `pages_show_list` ("Webhooks for Pages",
 * https://developers.facebook.com/docs/pages-api/webhooks-for-pages).
 */
export function isMessagingField (field: string): boolean {
  return /^(messages$|message_|messaging_)/.test(field) || ['standby', 'send_cart', 'response_feedback', 'marketing_message_delivery_failed'].includes(field)
}

const permissionsFor = (field: string): string[] => isMessagingField(field) ? ['pages_messaging'] : ['pages_manage_metadata', 'pages_show_list']

// Meta's own wording, as public records of its answers quote it (docs/meta.md).
const PAGE_TOKEN_REQUIRED = '(#210) A page access token is required to request this resource.'
const METADATA_REQUIRED = '(#200) Requires pages_manage_metadata permission to manage the object'

export interface PageTokenRecord {
  pageId: string
  /** the user or system-user token it was read with: its grant is the Page token's too */
  source: TokenRecord
  /** epoch seconds; 0 = never */
  expiresAt: number
}

/** the Page tokens the simulator issued and the apps' subscriptions to Pages */
export class SimulatedPages {
  readonly #tokens = new Map<string, PageTokenRecord>()
  readonly #issued = new Map<string, string>()
  readonly #subscriptions = new Map<string, string[]>()

  /** one Page token per Page and token it is read with, as Meta hands out the same token again */
  issue (pageId: string, sourceToken: string, source: TokenRecord): string {
    const key = `${pageId} ${sourceToken}`
    const known = this.#issued.get(key)
    if (known !== undefined) return known
    const token = newAccessToken()
    // A Page token read with a long-lived user token or a system-user token has no expiry; one read with a
    // short-lived user token lives as long as it (https://developers.facebook.com/docs/pages/access-tokens/).
    const lasting = source.grant.kind === 'system_user' || source.longLived
    this.#tokens.set(token, { pageId, source, expiresAt: lasting ? 0 : source.expiresAt })
    this.#issued.set(key, token)
    return token
  }

  token (token: string): PageTokenRecord | undefined {
    return this.#tokens.get(token)
  }

  subscribe (pageId: string, fields: string[]): void {
    this.#subscriptions.set(pageId, [...fields])
  }

  subscription (pageId: string): string[] | undefined {
    const fields = this.#subscriptions.get(pageId)
    return fields === undefined ? undefined : [...fields]
  }

  subscriptions (): Array<{ pageId: string, fields: string[] }> {
    return [...this.#subscriptions].map(([pageId, fields]) => ({ pageId, fields: [...fields] }))
  }

  clear (): void {
    this.#tokens.clear()
    this.#issued.clear()
    this.#subscriptions.clear()
  }
}

/** who is calling: a user or system-user token, or a Page token (`pageId`) with the grant it came from */
export interface Caller {
  token: string
  record: TokenRecord
  grant: ResolvedGrant
  pageId: string | undefined
}

/** the caller of a Graph call, its token known, usable and proven, or Meta's refusal (token first, then proof) */
export function identify (params: Record<string, string>, ctx: SimContext, pages: SimulatedPages): Caller | SimResponse {
  const token = params['access_token']
  if (token === undefined || token === '') return graphError({ code: 104, message: MSG.tokenRequired })
  const page = pages.token(token)
  const record = page?.source ?? ctx.store.token(token)
  const problem = tokenProblem(page === undefined ? record : { ...page.source, expiresAt: page.expiresAt }, ctx.nowSeconds())
  if (problem !== undefined || record === undefined) {
    return graphError({ code: 190, error_subcode: problem?.subcode ?? 467, message: problem?.message ?? MSG.unparsableToken })
  }
  return proofProblem(token, params, ctx) ?? { token, record, grant: record.grant, pageId: page?.pageId }
}

/**
 * `GET /{page-id}?fields=access_token`: the Page's token for a person or system user with a task on the Page and
 * at least one Page permission (https://developers.facebook.com/documentation/business-sdk/common-scenarios/token-switch).
 * Anyone else gets the Page without the field (UNCONFIRMED, docs/meta.md).
 */
export function pageNode (req: SimRequest, ctx: SimContext, pages: SimulatedPages, pageId: string): SimResponse {
  const caller = identify(req.query, ctx, pages)
  if (isResponse(caller)) return caller
  const fields = requestedFields(req.query, ['name', 'id'])
  const unknown = fields.find((f) => !['id', 'name', 'access_token'].includes(f))
  if (unknown !== undefined) return graphError({ code: 100, message: `(#100) Tried accessing nonexisting field (${unknown}) on node type (Page)` })
  const body: Record<string, string> = {}
  if (fields.includes('access_token')) {
    const g = caller.grant
    const entitled = caller.pageId === undefined && g.pageIds.includes(pageId) && g.scopes.some((s) => s.startsWith('pages_'))
    // a Page token reads itself; it cannot read another Page's token
    if (caller.pageId === pageId) body['access_token'] = caller.token
    else if (entitled) body['access_token'] = pages.issue(pageId, caller.token, caller.record)
  }
  if (fields.includes('name')) body['name'] = `Simulated Page ${pageId}`
  body['id'] = pageId
  return json(body)
}

/** `subscribed_fields` as Meta takes a list: comma-separated, or a JSON array */
function parseFields (value: string | undefined): string[] {
  if (value === undefined) return []
  let items: unknown = value.split(',')
  if (value.trim().startsWith('[')) {
    try { items = JSON.parse(value) } catch { items = [value] }
  }
  const list = Array.isArray(items) ? items.map((item) => String(item).trim()).filter((item) => item !== '') : []
  return [...new Set(list)]
}

/**
 * `POST` and `GET /{page-id}/subscribed_apps` (Page Subscribed Apps reference,
 * https://developers.facebook.com/docs/graph-api/reference/page/subscribed_apps/): only with the Page's own token,
 * in the query or a urlencoded body, with that token's appsecret_proof.
 */
export function subscribedApps (req: SimRequest, ctx: SimContext, pages: SimulatedPages, pageId: string, method: string): SimResponse {
  const params = { ...req.query, ...(req.form ?? {}) }
  const caller = identify(params, ctx, pages)
  if (isResponse(caller)) return caller
  if (caller.pageId !== pageId) return graphError({ code: 210, message: PAGE_TOKEN_REQUIRED }, 403)
  const scopes = caller.grant.scopes
  if (method === 'GET') {
    // reading the edge needs pages_manage_metadata (the reference's Reading section)
    if (!scopes.includes('pages_manage_metadata')) return graphError({ code: 200, message: METADATA_REQUIRED }, 403)
    const fields = pages.subscription(pageId)
    return json({ data: fields === undefined ? [] : [{ id: ctx.appId, name: 'Simulated app', subscribed_fields: fields }] })
  }
  const fields = parseFields(params['subscribed_fields'])
  if (fields.length === 0) return graphError({ code: 100, message: '(#100) The parameter subscribed_fields is required' })
  const unknown = fields.findIndex((f) => !PAGE_WEBHOOK_FIELDS.has(f))
  if (unknown !== -1) {
    return graphError({ code: 100, message: `(#100) Param subscribed_fields[${unknown}] must be one of {${[...PAGE_WEBHOOK_FIELDS].join(', ')}}` })
  }
  // Meta refuses the whole call at the first field the token cannot subscribe to
  for (const field of fields) {
    const missing = permissionsFor(field).find((p) => !scopes.includes(p))
    if (missing !== undefined) {
      return graphError({ code: 200, message: `(#200) To subscribe to the ${field} field, one of these permissions is needed: ${missing}` }, 403)
    }
  }
  // subscribing again replaces the fields: the edge holds one subscription per app
  pages.subscribe(pageId, fields)
  return json({ success: true })
}
