// The service's tracing calls (../tracing.ts) over OpenTelemetry's API, once start-tracing.ts has registered the
// SDK. Spans are started in the active context, so they nest under whatever runs them: a request's handler, a
// BullMQ job, an in-process attempt started by a request.
import { context, isSpanContextValid, propagation, SpanKind, SpanStatusCode, trace, TraceFlags, type Link, type Span } from '@opentelemetry/api'
import type { Telemetry } from 'bullmq'
import type { FastifyPluginCallback } from 'fastify'
import type { SpanOptions, SpanScope, TraceAttributes, Tracing } from '../tracing.js'
import { OWN_CALL } from './own-calls.js'

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/

/** a stored traceparent as a link; undefined for anything that is not one (a record written by hand, say) */
export function linkTo (traceparent: string | undefined): Link | undefined {
  const match = traceparent === undefined ? null : TRACEPARENT.exec(traceparent)
  if (!match) return undefined
  const spanContext = { traceId: match[1]!, spanId: match[2]!, traceFlags: Number.parseInt(match[3]!, 16), isRemote: true }
  return isSpanContextValid(spanContext) ? { context: spanContext } : undefined
}

class Scope implements SpanScope {
  failed = false
  constructor (readonly span: Span) {}

  set (attributes: TraceAttributes): void {
    this.span.setAttributes(attributes)
  }

  fail (errorType: string): void {
    this.failed = true
    this.span.setAttribute('error.type', errorType)
    this.span.setStatus({ code: SpanStatusCode.ERROR })
  }

  headers (): Record<string, string> {
    const carrier: Record<string, string> = {}
    propagation.inject(trace.setSpan(context.active(), this.span), carrier)
    return carrier
  }

  /** a rejection of the work: its name and message (the service's messages carry no secret; scrubbing-exporter.ts checks) */
  error (err: unknown): void {
    const { name, message } = err instanceof Error ? err : { name: typeof err, message: String(err) }
    this.span.recordException({ name, message })
    this.span.setStatus({ code: SpanStatusCode.ERROR, message })
    if (!this.failed) this.span.setAttribute('error.type', (err as { code?: unknown }).code?.toString() ?? name)
  }
}

export interface OtelTracingParts {
  fastifyPlugin: FastifyPluginCallback
  queueTelemetry: Telemetry
}

export function otelTracing (parts: OtelTracingParts): Tracing {
  const tracer = trace.getTracer('messenger-onboarding')
  return {
    on: true,
    fastifyPlugin: parts.fastifyPlugin,
    queueTelemetry: parts.queueTelemetry,

    async span<T> (name: string, options: SpanOptions, work: (span: SpanScope) => Promise<T>): Promise<T> {
      const links = (options.links ?? []).map(linkTo).filter((link): link is Link => link !== undefined)
      const client = options.kind === 'client'
      const span = tracer.startSpan(name, { kind: client ? SpanKind.CLIENT : SpanKind.INTERNAL, attributes: options.attributes, links })
      let active = trace.setSpan(context.active(), span)
      if (client) active = active.setValue(OWN_CALL, true)
      const scope = new Scope(span)
      try {
        return await context.with(active, work, undefined, scope)
      } catch (err) {
        scope.error(err)
        throw err
      } finally {
        span.end()
      }
    },

    traceparent (): string | undefined {
      const spanContext = trace.getSpanContext(context.active())
      if (!spanContext || !isSpanContextValid(spanContext)) return undefined
      const sampled = (spanContext.traceFlags & TraceFlags.SAMPLED) === TraceFlags.SAMPLED
      return `00-${spanContext.traceId}-${spanContext.spanId}-${sampled ? '01' : '00'}`
    },

    // a new object each time: pino's mixin merges the line's own fields into the object it is given
    logFields (): Record<string, string> {
      const spanContext = trace.getSpanContext(context.active())
      return spanContext && isSpanContextValid(spanContext) ? { trace_id: spanContext.traceId, span_id: spanContext.spanId } : {}
    }
  }
}
