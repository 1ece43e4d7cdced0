// The flow chooser (SPEC §6): the page GET /login/{id} answers for a session that lets the admin choose its
// flow. It sets the allowed flows side by side in the terms of Meta's onboarding guide for Marketing Messages
// on Messenger (who each suits, the permission the admin needs, the access the platform gets, whose ad account
// is billed) and recommends Flow 1 to a business admin. Each choice is a plain link to /login/{id}?flow=NAME:
// no script, and no form either, since CSP's form-action would also apply to the redirect to Meta that follows.
import type { FlowName } from '../onboarding/flows.js'
import { escapeHtml, htmlDocument } from './html.js'

interface FlowGuide {
  /** Meta's number and name of the flow, as the admin may meet it in Meta's own pages */
  title: string
  suits: string
  permission: string
  access: string
  billing: string
}

/** in plain words, drawn from Meta's comparison of the three flows (meta-api-facts.md, SPEC §1) */
export const FLOW_GUIDE: Record<FlowName, FlowGuide> = {
  business_portfolio: {
    title: 'Flow 1: Business portfolio',
    suits: 'A business whose Facebook Page and ad account belong to the same business portfolio, connected by an admin of that portfolio.',
    permission: 'Full control of the business portfolio that owns the Page and the ad account.',
    access: 'A business token (a system user of your portfolio) that does not expire.',
    billing: 'Your own ad account, in the same portfolio as your Page.'
  },
  asset_based: {
    title: 'Flow 2: Asset-based',
    suits: 'Someone who manages the Page and the ad account without being an admin of the whole business portfolio, or whose Page and ad account belong to different portfolios.',
    permission: 'Full control of the Facebook Page and of the ad account.',
    access: 'A token tied to your own Facebook account. It expires after about 60 days; you then connect again.',
    billing: 'Your own ad account; it need not belong to the same portfolio as the Page.'
  },
  partner_billing: {
    title: 'Flow 3: Partner billing',
    suits: 'A business with a Facebook Page that does not want to use an ad account of its own: the platform pays for the messages.',
    permission: 'Full control of the business portfolio that owns the Page.',
    access: 'A business token (a system user of your portfolio) that does not expire.',
    billing: 'The platform’s own ad account, connected to your business. You do not need an ad account.'
  }
}

const RECOMMENDED: FlowName = 'business_portfolio'
const COUNT = ['', 'one', 'two', 'three']

export const CHOOSER_TITLE = 'Choose how to connect your business'

function flowItem (sessionId: string, flow: FlowName): string {
  const guide = FLOW_GUIDE[flow]
  const recommended = flow === RECOMMENDED
  const facts: Array<[string, string]> = [
    ['Suits', guide.suits],
    ['Permission you need', guide.permission],
    ['Access the platform gets', guide.access],
    ['Ad account billed for messages', guide.billing]
  ]
  // the recommendation is said in words, not only by the highlighted border
  return `<li class="flow${recommended ? ' recommended' : ''}" id="flow-${flow}"><h2>${escapeHtml(guide.title)}</h2>` +
    (recommended ? '<p class="tag"><strong>Recommended</strong> if you are a business portfolio admin</p>' : '') +
    `<dl>${facts.map(([term, text]) => `<dt>${escapeHtml(term)}</dt><dd>${escapeHtml(text)}</dd>`).join('')}</dl>` +
    `<a class="choose" href="/login/${encodeURIComponent(sessionId)}?flow=${flow}">Continue with ${escapeHtml(guide.title)}</a></li>`
}

/** `flows`: the session's allowed flows, in Meta's order */
export function flowChooserPage (sessionId: string, flows: readonly FlowName[], notice: string | null): string {
  // one flow is left only when the others of the session were disabled since it was opened
  const ways = flows.length === 1 ? 'There is one way' : `There are ${COUNT[flows.length]} ways`
  const intro = `${ways} to connect your business to send marketing messages on Messenger. ` +
    'They differ in the permission you need, in the access the platform gets and in whose ad account pays for the messages. ' +
    'After you choose, Facebook asks you to sign in and confirm; nothing is connected before that.'
  const advice = flows.includes(RECOMMENDED)
    ? `<p>If you are an admin of your business portfolio, choose ${escapeHtml(FLOW_GUIDE[RECOMMENDED].title)}.</p>`
    : ''
  return htmlDocument(CHOOSER_TITLE,
    `<p>${escapeHtml(intro)}</p>${advice}<ul class="flows">${flows.map((flow) => flowItem(sessionId, flow)).join('')}</ul>`,
    { notice, wide: true })
}
