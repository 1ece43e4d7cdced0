// What SANDBOX_TRACES=1 prints: each onboarding's trace (the one its callback, or its /code, started) as a small
// tree, once it has gone quiet, that is once the webhooks and the provisioning that follow the answer are done.
// Spans that arrive later in the same trace (a retry, a processing session resumed) are printed as its
// continuation. Other traces (session creation, the login redirect, the sandbox's own calls) are left out.
import { SPAN_KIND, type ExportedSpan } from './otlp-spans.js'

/** the server spans whose trace is an onboarding's */
const ONBOARDING_ROOTS = new Set(['GET /oauth/callback', 'POST /v1/sessions/:id/code'])

const ms = (span: ExportedSpan): string => `${(Number(span.endNs - span.startNs) / 1e6).toFixed(1)} ms`
const short = (id: string): string => id.slice(0, 8)

/** the few attributes worth a glance, after the name and the duration */
function details (span: ExportedSpan, byId: Map<string, ExportedSpan>): string {
  const a = span.attributes
  const parts: string[] = []
  if (a['http.response.status_code'] !== undefined) parts.push(String(a['http.response.status_code']))
  if (a['webhook.type'] !== undefined) parts.push(`${String(a['webhook.type'])} ${String(a['webhook.id'])} attempt ${String(a['webhook.attempt'])}`)
  if (a['onboarding.notice'] !== undefined) parts.push(String(a['onboarding.notice']))
  if (span.status.code === 2) parts.push(`✗ ${String(a['error.type'] ?? 'error')}`)
  for (const link of span.links) {
    const target = byId.get(link.spanId)
    parts.push(target ? `↪ decided by ${target.name}` : `↪ trace ${short(link.traceId)}`)
  }
  return parts.length > 0 ? `  ${parts.join('  ')}` : ''
}

/** `spans` as an indented tree: each span under its parent, siblings in the order they started */
export function formatTree (spans: readonly ExportedSpan[], context: readonly ExportedSpan[] = spans): string {
  const byId = new Map(context.map((s) => [s.spanId, s]))
  const children = new Map<string, ExportedSpan[]>()
  const roots: ExportedSpan[] = []
  const present = new Set(spans.map((s) => s.spanId))
  for (const span of spans) {
    if (present.has(span.parentSpanId)) children.set(span.parentSpanId, [...(children.get(span.parentSpanId) ?? []), span])
    else roots.push(span)
  }
  const byStart = (a: ExportedSpan, b: ExportedSpan) => (a.startNs < b.startNs ? -1 : a.startNs > b.startNs ? 1 : 0)
  const lines: string[] = []
  const walk = (span: ExportedSpan, prefix: string, last: boolean, top: boolean): void => {
    lines.push(`${prefix}${top ? '' : last ? '└─ ' : '├─ '}${span.name}  ${ms(span)}${details(span, byId)}`)
    const kids = (children.get(span.spanId) ?? []).sort(byStart)
    kids.forEach((kid, i) => walk(kid, top ? prefix : `${prefix}${last ? '   ' : '│  '}`, i === kids.length - 1, false))
  }
  for (const root of roots.sort(byStart)) walk(root, '', true, true)
  return lines.join('\n')
}

interface TraceState { spans: ExportedSpan[]; printed: number; lastSeen: number; onboarding: boolean }

export class TraceTrees {
  readonly #traces = new Map<string, TraceState>()

  constructor (private readonly print: (text: string) => void, private readonly quietMs: number, private readonly now: () => number = Date.now) {}

  add (spans: readonly ExportedSpan[]): void {
    for (const span of spans) {
      const trace = this.#traces.get(span.traceId) ?? { spans: [], printed: 0, lastSeen: 0, onboarding: false }
      trace.spans.push(span)
      trace.lastSeen = this.now()
      trace.onboarding ||= span.kind === SPAN_KIND.server && ONBOARDING_ROOTS.has(span.name)
      this.#traces.set(span.traceId, trace)
    }
  }

  /** prints what has been quiet for `quietMs` (everything, with `all`); forgets traces that are not onboardings */
  flush (all = false): void {
    const now = this.now()
    for (const [traceId, trace] of this.#traces) {
      if (!all && now - trace.lastSeen < this.quietMs) continue
      if (!trace.onboarding) {
        this.#traces.delete(traceId)
        continue
      }
      if (trace.printed === trace.spans.length) continue
      const fresh = trace.spans.slice(trace.printed)
      const session = trace.spans.find((s) => typeof s.attributes['onboarding.session_id'] === 'string')?.attributes['onboarding.session_id']
      const title = trace.printed === 0
        ? `onboarding ${String(session ?? '')} — trace ${traceId}`
        : `onboarding ${String(session ?? '')} — trace ${traceId}, continued`
      this.print(`\n${title}\n${formatTree(fresh, trace.spans)}\n`)
      trace.printed = trace.spans.length
    }
  }
}
