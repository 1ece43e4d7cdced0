// What the service's code asks of tracing, whether it is on or not. Without an OTLP endpoint server.ts loads
// nothing of OpenTelemetry, and every call here is one function call: `off` runs the work as it is. With one,
// otel/start-tracing.ts installs the implementation over OpenTelemetry's API (otel/otel-tracing.ts) before the
// app is imported. A leaf: no OpenTelemetry import here, only types.
import type { Telemetry } from 'bullmq'
import type { FastifyPluginCallback } from 'fastify'

export type TraceAttributes = Record<string, string | number | boolean | undefined>

export interface SpanOptions {
  /** `client` for a call to another service (Meta, the partner's webhook endpoint); default `internal` */
  kind?: 'internal' | 'client'
  attributes?: TraceAttributes
  /** W3C traceparents of the spans this one follows from, such as the decision a webhook attempt delivers */
  links?: ReadonlyArray<string | undefined>
}

export interface SpanScope {
  /** attributes learnt while the span runs */
  set (attributes: TraceAttributes): void
  /** the operation failed: error status, `error.type` a word of few values (a status code, `timeout`) */
  fail (errorType: string): void
  /** the W3C trace context headers that make the receiver of this span's call continue it */
  headers (): Record<string, string>
}

export interface Tracing {
  readonly on: boolean
  /**
   * Runs `work` in a span, a child of the active one: it ends when `work` settles, and a rejection marks it
   * failed (the error's name and message only, never its stack).
   */
  span<T> (name: string, options: SpanOptions, work: (span: SpanScope) => Promise<T>): Promise<T>
  /** the active span as a W3C traceparent, to link to later (a delivery keeps the one that decided its event) */
  traceparent (): string | undefined
  /** `trace_id` and `span_id` of the active span, for a log line; empty without one (a new object: pino's mixin adds to it) */
  logFields (): Record<string, string>
  /** registered first in the app: the server span of every request (@fastify/otel) */
  readonly fastifyPlugin: FastifyPluginCallback | undefined
  /** BullMQ's `telemetry` option of every queue and worker (bullmq-otel) */
  readonly queueTelemetry: Telemetry | undefined
}

const NO_HEADERS: Record<string, string> = Object.freeze({}) as Record<string, string>
const noScope: SpanScope = { set () {}, fail () {}, headers: () => NO_HEADERS }

const off: Tracing = {
  on: false,
  span: (_name, _options, work) => work(noScope),
  traceparent: () => undefined,
  logFields: () => ({}),
  fastifyPlugin: undefined,
  queueTelemetry: undefined
}

let current: Tracing = off

export const tracing = (): Tracing => current

/** installed once, at start-up, before the app is built */
export function useTracing (implementation: Tracing): void {
  current = implementation
}
