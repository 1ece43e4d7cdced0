// The flow chooser: the page GET /login/{id} answers for a session that lets the admin choose its flow. It sets
// the allowed flows side by side in the words of their records (who each suits, the permission the admin needs,
// the access the platform gets, whose ad account is billed) and recommends the flow a record recommends. Each
// choice is a plain link to /login/{id}?flow=NAME: no script, and no form either, since CSP's form-action would
// also apply to the redirect to Meta that follows.
import { FLOWS, type FlowName } from '../flows/flows.js'
import { escapeHtml, htmlDocument } from './html.js'

const CHOOSER_TITLE = 'Choose how to connect your business'

const NUMBER_WORDS = ['no', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten']
const inWords = (n: number): string => NUMBER_WORDS[n] ?? String(n)

function flowItem (sessionId: string, flow: FlowName): string {
  const words = FLOWS[flow].words
  const facts: Array<[string, string]> = [
    ['Suits', words.suits],
    ['Permission you need', words.permission],
    ['Access the platform gets', words.access],
    ['Ad account billed for messages', words.billing]
  ]
  // the recommendation is said in words, not only by the highlighted border
  return `<li class="flow${words.recommended ? ' recommended' : ''}" id="flow-${flow}"><h2>${escapeHtml(words.title)}</h2>` +
    (words.recommended ? `<p class="tag"><strong>Recommended</strong> ${escapeHtml(words.recommended.tag)}</p>` : '') +
    `<dl>${facts.map(([term, text]) => `<dt>${escapeHtml(term)}</dt><dd>${escapeHtml(text)}</dd>`).join('')}</dl>` +
    `<a class="choose" href="/login/${encodeURIComponent(sessionId)}?flow=${flow}">Continue with ${escapeHtml(words.title)}</a></li>`
}

/** `flows`: the session's allowed flows, in Meta's order */
export function flowChooserPage (sessionId: string, flows: readonly FlowName[], notice: string | null): string {
  // one flow is left only when the others of the session were disabled since it was opened
  const ways = flows.length === 1 ? 'There is one way' : `There are ${inWords(flows.length)} ways`
  const intro = `${ways} to connect your business to send marketing messages on Messenger. ` +
    'They differ in the permission you need, in the access the platform gets and in whose ad account pays for the messages. ' +
    'After you choose, Facebook asks you to sign in and confirm; nothing is connected before that.'
  const recommended = flows.map((flow) => FLOWS[flow].words).find((words) => words.recommended)
  const advice = recommended?.recommended
    ? `<p>${escapeHtml(recommended.recommended.advice)}, choose ${escapeHtml(recommended.title)}.</p>`
    : ''
  return htmlDocument(CHOOSER_TITLE,
    `<p>${escapeHtml(intro)}</p>${advice}<ul class="flows">${flows.map((flow) => flowItem(sessionId, flow)).join('')}</ul>`,
    { notice, wide: true })
}
