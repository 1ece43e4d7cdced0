// Which traces are recorded: OTEL_TRACES_SAMPLER and its argument, with their standard meaning, except for the
// polling and housekeeping of BullMQ's workers. Each worker fetches jobs and checks for stalled ones every few
// seconds whether or not there is work, and bullmq-otel makes a root span of each: a stream of traces that no
// request or job caused. Those roots are not recorded (nor, by the parent-based samplers, what they contain);
// the spans of a job itself (add, process, its completion) are, as part of the trace that queued it.
import { trace, type Attributes, type Context, type Link, type SpanKind } from '@opentelemetry/api'
import {
  AlwaysOffSampler, AlwaysOnSampler, ParentBasedSampler, SamplingDecision, TraceIdRatioBasedSampler,
  type Sampler, type SamplingResult
} from '@opentelemetry/sdk-trace-base'
import type { SamplerName } from '../tracing-settings.js'

/** the operations a BullMQ worker runs on its own timers (BullMQ's spans are named `<operation> <queue>`) */
const HOUSEKEEPING = /^(getNextJob|moveStalledJobsToWait|startStalledCheckTimer|extendLocks) /

function standard (name: SamplerName, ratio: number): Sampler {
  switch (name) {
    case 'always_on': return new AlwaysOnSampler()
    case 'always_off': return new AlwaysOffSampler()
    case 'traceidratio': return new TraceIdRatioBasedSampler(ratio)
    case 'parentbased_always_on': return new ParentBasedSampler({ root: new AlwaysOnSampler() })
    case 'parentbased_always_off': return new ParentBasedSampler({ root: new AlwaysOffSampler() })
    case 'parentbased_traceidratio': return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(ratio) })
  }
}

export class ServiceSampler implements Sampler {
  readonly #inner: Sampler

  constructor (name: SamplerName, ratio: number) {
    this.#inner = standard(name, ratio)
  }

  shouldSample (context: Context, traceId: string, spanName: string, spanKind: SpanKind, attributes: Attributes, links: Link[]): SamplingResult {
    if (HOUSEKEEPING.test(spanName) && trace.getSpanContext(context) === undefined) return { decision: SamplingDecision.NOT_RECORD }
    return this.#inner.shouldSample(context, traceId, spanName, spanKind, attributes, links)
  }

  toString (): string {
    return `ServiceSampler{${this.#inner.toString()}}`
  }
}
