// The mark of an HTTP call that has a span of its own (a Meta call, a webhook attempt: otel-tracing.ts puts it in
// the call's context), so that the undici instrumentation does not trace the same request twice.
import { context, createContextKey } from '@opentelemetry/api'

export const OWN_CALL = createContextKey('messenger-onboarding: an HTTP call with its own span')

export const insideOwnCall = (): boolean => context.active().getValue(OWN_CALL) === true
