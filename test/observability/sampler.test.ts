// OTEL_TRACES_SAMPLER's samplers with their standard meaning, except that the roots BullMQ's workers make on
// their own timers (polling, stalled checks, lock renewal) are never recorded.
import t from 'tap'
import { ROOT_CONTEXT, SpanKind, trace, TraceFlags } from '@opentelemetry/api'
import { SamplingDecision } from '@opentelemetry/sdk-trace-base'
import { ServiceSampler } from '../../src/observability/otel/sampler.js'
import type { SamplerName } from '../../src/observability/tracing-settings.js'

const TRACE_ID = '0af7651916cd43dd8448eb211c80319c'
const sampledParent = trace.setSpanContext(ROOT_CONTEXT, { traceId: TRACE_ID, spanId: 'b7ad6b7169203331', traceFlags: TraceFlags.SAMPLED, isRemote: true })
const unsampledParent = trace.setSpanContext(ROOT_CONTEXT, { traceId: TRACE_ID, spanId: 'b7ad6b7169203331', traceFlags: TraceFlags.NONE, isRemote: true })

const decide = (name: SamplerName, ratio: number, context = ROOT_CONTEXT, span = 'GET /oauth/callback') =>
  new ServiceSampler(name, ratio).shouldSample(context, TRACE_ID, span, SpanKind.SERVER, {}, []).decision

t.test('the standard samplers', async (t) => {
  const { RECORD_AND_SAMPLED: SAMPLED, NOT_RECORD } = SamplingDecision
  t.equal(decide('always_on', 1), SAMPLED)
  t.equal(decide('always_off', 1), NOT_RECORD)
  t.equal(decide('always_on', 1, unsampledParent), SAMPLED, 'always_on ignores the parent')
  t.equal(decide('traceidratio', 1), SAMPLED)
  t.equal(decide('traceidratio', 0), NOT_RECORD)
  t.equal(decide('parentbased_always_on', 1), SAMPLED)
  t.equal(decide('parentbased_always_on', 1, unsampledParent), NOT_RECORD, 'a caller\'s decision not to sample is kept')
  t.equal(decide('parentbased_always_off', 1), NOT_RECORD)
  t.equal(decide('parentbased_always_off', 1, sampledParent), SAMPLED, 'and its decision to sample')
  t.equal(decide('parentbased_traceidratio', 0), NOT_RECORD)
  t.equal(decide('parentbased_traceidratio', 0, sampledParent), SAMPLED)
  t.match(new ServiceSampler('parentbased_always_on', 1).toString(), /^ServiceSampler\{ParentBased/)
})

t.test('BullMQ\'s timers make no root span; inside a job the same operations are recorded', async (t) => {
  for (const name of ['getNextJob webhooks', 'moveStalledJobsToWait onboarding', 'startStalledCheckTimer lifecycle', 'extendLocks provisioning']) {
    t.equal(decide('always_on', 1, ROOT_CONTEXT, name), SamplingDecision.NOT_RECORD, name)
    t.equal(decide('always_on', 1, sampledParent, name), SamplingDecision.RECORD_AND_SAMPLED, `${name} inside a job`)
  }
  t.equal(decide('always_on', 1, ROOT_CONTEXT, 'process webhooks'), SamplingDecision.RECORD_AND_SAMPLED)
  t.equal(decide('always_on', 1, ROOT_CONTEXT, 'getNextJobs'), SamplingDecision.RECORD_AND_SAMPLED, 'the operation\'s own name only')
})
