// The last door before spans leave the process: every span the exporter sends goes through scrubSpan. The service
// records no secret in the first place (its own spans carry IDs, names and status codes; the instrumentations
// are told to keep statements to the command and URLs to their path: instrumentations.ts), so this is a net for
// what an instrumentation or a library error message might add later: no URL query string, no header that
// authenticates, no statement's values, no stack trace, no `name=value` that names a secret.
import type { Attributes, AttributeValue, Link } from '@opentelemetry/api'
import type { ExportResult } from '@opentelemetry/core'
import type { ReadableSpan, SpanExporter, TimedEvent } from '@opentelemetry/sdk-trace-base'

/** an attribute whose last segment says it holds a secret, or the parts of a URL that may (query strings) */
const SECRET_KEY = /(^|\.)(query|cookie|set-cookie|authorization|proxy-authorization|password|secret|token|access_token|appsecret_proof|signed_request)$/i
/** attributes holding a whole URL, or a path with its query (http.target) */
const URL_KEY = /(^|\.)(url|full|target|original|uri|href|location)$/i
/** statements keep their first word, the operation: their arguments are keys and values (sealed tokens, state hashes) */
const STATEMENT_KEY = /(^|\.)(statement|query\.text)$/i
/** a URL's query: from the `?` after scheme://authority/path to the fragment or the end of the word */
const URL_QUERY = /(\b[a-z][a-z\d+.-]*:\/\/[^\s?#"'<>]*)\?[^\s#"'<>]*/gi
/** `name=value` where the name is one the service's secrets travel under (Graph parameters, form fields) */
const SECRET_PAIR = /\b(access_token|input_token|fb_exchange_token|client_secret|appsecret_proof|appsecret_time|code|state|token|secret|password|signed_request)=[^&\s"'<>,;]*/gi
const REDACTED = '[redacted]'

/** free text (a span name, an exception message, a status message): URLs without their query, secret pairs redacted */
export function scrubText (text: string): string {
  // neither a query nor a pair without a `?` or an `=`: most values, left as they are without a regex
  if (!text.includes('?') && !text.includes('=')) return text
  return text.replace(URL_QUERY, '$1').replace(SECRET_PAIR, `$1=${REDACTED}`)
}

type KeyKind = 'drop' | 'statement' | 'url' | 'text'

/** what each attribute name is; the same few dozen names come again in every span */
const keyKinds = new Map<string, KeyKind>()
function kindOf (key: string): KeyKind {
  let kind = keyKinds.get(key)
  if (kind === undefined) {
    kind = SECRET_KEY.test(key) || key === 'exception.stacktrace' ? 'drop' : STATEMENT_KEY.test(key) ? 'statement' : URL_KEY.test(key) ? 'url' : 'text'
    // bounded: a name made of values (which no instrumentation does) would not grow it forever
    if (keyKinds.size < 1000) keyKinds.set(key, kind)
  }
  return kind
}

function scrubValue (kind: KeyKind, value: string): string {
  if (kind === 'statement') return value.trim().split(/\s+/, 1)[0] ?? ''
  if (kind === 'url') return scrubText(value.split('?', 1)[0]!)
  return scrubText(value)
}

export function scrubAttributes (attributes: Attributes): Attributes {
  const scrubbed: Attributes = {}
  for (const key in attributes) {
    const value = attributes[key]
    const kind = kindOf(key)
    if (value === undefined || kind === 'drop') continue
    let kept: AttributeValue = value
    if (typeof value === 'string') kept = scrubValue(kind, value)
    else if (Array.isArray(value)) kept = value.map((item) => typeof item === 'string' ? scrubValue(kind, item) : item) as AttributeValue
    scrubbed[key] = kept
  }
  return scrubbed
}

const scrubEvent = (event: TimedEvent): TimedEvent => ({
  ...event,
  name: scrubText(event.name),
  ...(event.attributes ? { attributes: scrubAttributes(event.attributes) } : {})
})

const scrubLink = (link: Link): Link => (link.attributes ? { ...link, attributes: scrubAttributes(link.attributes) } : link)

/** a copy of the span as it may leave the process (the SDK's span itself is not touched) */
export function scrubSpan (span: ReadableSpan): ReadableSpan {
  return {
    name: scrubText(span.name.split('?', 1)[0]!),
    kind: span.kind,
    spanContext: () => span.spanContext(),
    parentSpanContext: span.parentSpanContext,
    startTime: span.startTime,
    endTime: span.endTime,
    status: span.status.message === undefined ? span.status : { ...span.status, message: scrubText(span.status.message) },
    attributes: scrubAttributes(span.attributes),
    links: span.links.map(scrubLink),
    events: span.events.map(scrubEvent),
    duration: span.duration,
    ended: span.ended,
    resource: span.resource,
    instrumentationScope: span.instrumentationScope,
    droppedAttributesCount: span.droppedAttributesCount,
    droppedEventsCount: span.droppedEventsCount,
    droppedLinksCount: span.droppedLinksCount
  }
}

export class ScrubbingExporter implements SpanExporter {
  constructor (private readonly inner: SpanExporter) {}

  export (spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    this.inner.export(spans.map(scrubSpan), resultCallback)
  }

  async shutdown (): Promise<void> {
    await this.inner.shutdown()
  }

  async forceFlush (): Promise<void> {
    await this.inner.forceFlush?.()
  }
}
