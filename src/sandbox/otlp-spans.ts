// The spans of an OTLP export request (ExportTraceServiceRequest) in OTLP/JSON, flattened: one record per span
// with its attributes as plain values. The sandbox's receiver reads what the service exports with it, and so do
// the tests (which decode http/protobuf into the same shape first).

export type AttributeValue = string | number | boolean | AttributeValue[] | null

export interface ExportedSpan {
  traceId: string
  spanId: string
  /** '' for a root span */
  parentSpanId: string
  name: string
  /** OTLP's SpanKind: 1 internal, 2 server, 3 client, 4 producer, 5 consumer */
  kind: number
  startNs: bigint
  endNs: bigint
  attributes: Record<string, AttributeValue>
  links: Array<{ traceId: string; spanId: string }>
  events: Array<{ name: string; attributes: Record<string, AttributeValue> }>
  /** OTLP's status code: 0 unset, 1 ok, 2 error */
  status: { code: number; message: string }
  /** the `service.name` of its resource */
  service: string
  /** its instrumentation scope */
  scope: string
}

export const SPAN_KIND = { internal: 1, server: 2, client: 3, producer: 4, consumer: 5 } as const

type Json = Record<string, unknown>
const list = (value: unknown): Json[] => (Array.isArray(value) ? value as Json[] : [])
const text = (value: unknown): string => (typeof value === 'string' ? value : '')

function value (v: unknown): AttributeValue {
  const any = (v ?? {}) as Json
  if (typeof any.stringValue === 'string') return any.stringValue
  if (typeof any.boolValue === 'boolean') return any.boolValue
  if (any.intValue !== undefined) return Number(any.intValue)
  if (any.doubleValue !== undefined) return Number(any.doubleValue)
  if (any.arrayValue !== undefined) return list((any.arrayValue as Json).values).map(value)
  return null
}

export function attributesOf (attributes: unknown): Record<string, AttributeValue> {
  return Object.fromEntries(list(attributes).map((a) => [text(a.key), value(a.value)]))
}

/** OTLP/JSON's numbers of nanoseconds may come as strings or numbers */
const nanos = (v: unknown): bigint => (typeof v === 'string' || typeof v === 'number' ? BigInt(v) : 0n)

export function spansOfExport (body: unknown): ExportedSpan[] {
  const spans: ExportedSpan[] = []
  for (const resourceSpans of list((body as Json | null)?.resourceSpans)) {
    const service = String(attributesOf((resourceSpans.resource as Json | undefined)?.attributes)['service.name'] ?? '')
    for (const scopeSpans of list(resourceSpans.scopeSpans)) {
      const scope = text((scopeSpans.scope as Json | undefined)?.name)
      for (const s of list(scopeSpans.spans)) {
        const status = (s.status ?? {}) as Json
        spans.push({
          traceId: text(s.traceId),
          spanId: text(s.spanId),
          parentSpanId: text(s.parentSpanId),
          name: text(s.name),
          kind: Number(s.kind ?? 0),
          startNs: nanos(s.startTimeUnixNano),
          endNs: nanos(s.endTimeUnixNano),
          attributes: attributesOf(s.attributes),
          links: list(s.links).map((l) => ({ traceId: text(l.traceId), spanId: text(l.spanId) })),
          events: list(s.events).map((e) => ({ name: text(e.name), attributes: attributesOf(e.attributes) })),
          status: { code: Number(status.code ?? 0), message: text(status.message) },
          service,
          scope
        })
      }
    }
  }
  return spans
}
