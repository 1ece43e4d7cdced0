// OpenTelemetry's own variables (SPEC §2, §9), with their standard meaning (the OpenTelemetry specification's
// "SDK environment variables" and "OTLP exporter configuration"), as part of the one schema of the environment
// (config.ts). No endpoint = no tracing: settings are null and nothing of OpenTelemetry is loaded (server.ts).
// Only OTLP over HTTP is built in; `grpc` is refused at start-up rather than silently exporting nothing.
import { z } from 'zod'
import type { OtlpProtocol, SamplerName, TracingSettings } from '../observability/tracing-settings.js'
import { DIGITS, httpUrl, intFromEnv, optionalString } from './env-values.js'

const PROTOCOLS: readonly OtlpProtocol[] = ['http/protobuf', 'http/json']
const SAMPLERS = ['always_on', 'always_off', 'traceidratio', 'parentbased_always_on', 'parentbased_always_off', 'parentbased_traceidratio'] as const satisfies readonly SamplerName[]
const DEFAULT_SERVICE_NAME = 'messenger-onboarding'

const endpoint = optionalString.transform((v, ctx) => {
  if (v === undefined) return undefined
  const url = httpUrl(v)
  if (!url) {
    ctx.addIssue({ code: 'custom', message: 'must be an http(s) URL (this service exports OTLP over HTTP)' })
    return z.NEVER
  }
  return url.href
})

const protocol = optionalString.transform((v, ctx): OtlpProtocol | undefined => {
  if (v === undefined || (PROTOCOLS as readonly string[]).includes(v)) return v as OtlpProtocol | undefined
  ctx.addIssue({
    code: 'custom',
    message: v === 'grpc'
      ? 'grpc is not supported: this service exports OTLP over HTTP, http/protobuf (the default) or http/json'
      : 'must be http/protobuf (the default) or http/json'
  })
  return z.NEVER
})

/** `key=value,key2=value2`, values percent-encoded (the W3C Baggage format the specification names) */
const keyValues = (what: string) => optionalString.transform((v, ctx) => {
  const pairs: Record<string, string> = {}
  for (const entry of (v ?? '').split(',')) {
    if (entry.trim() === '') continue
    const at = entry.indexOf('=')
    const key = at > 0 ? entry.slice(0, at).trim() : ''
    let value: string | undefined
    try {
      value = at > 0 ? decodeURIComponent(entry.slice(at + 1).trim()) : undefined
    } catch {}
    if (key === '' || value === undefined) {
      ctx.addIssue({ code: 'custom', message: `must be comma-separated ${what} such as key=value,key2=value2 (values percent-encoded)` })
      return z.NEVER
    }
    pairs[key] = value
  }
  return pairs
})

const sdkDisabled = optionalString.transform((v, ctx) => {
  const text = v?.toLowerCase()
  if (text === undefined || text === 'false') return false
  if (text === 'true') return true
  ctx.addIssue({ code: 'custom', message: 'must be true or false' })
  return z.NEVER
})

const samplerArg = optionalString.transform((v, ctx) => {
  if (v === undefined) return undefined
  const ratio = Number(v)
  if (!Number.isFinite(ratio) || ratio < 0 || ratio > 1) {
    ctx.addIssue({ code: 'custom', message: 'must be a number from 0 to 1 (the ratio of traces sampled)' })
    return z.NEVER
  }
  return ratio
})

/** the variables of the environment schema (config.ts) that tracing reads */
export const TRACING_ENV = {
  OTEL_SDK_DISABLED: sdkDisabled,
  OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: endpoint,
  OTEL_EXPORTER_OTLP_PROTOCOL: protocol,
  OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: protocol,
  OTEL_EXPORTER_OTLP_HEADERS: keyValues('headers'),
  OTEL_EXPORTER_OTLP_TRACES_HEADERS: keyValues('headers'),
  OTEL_EXPORTER_OTLP_TIMEOUT: intFromEnv(10_000, 1, 600_000),
  // unset = OTEL_EXPORTER_OTLP_TIMEOUT's
  OTEL_EXPORTER_OTLP_TRACES_TIMEOUT: optionalString.pipe(z.string().regex(DIGITS, 'must be a whole number').optional())
    .transform((v) => (v === undefined ? undefined : Number(v)))
    .pipe(z.number().int().min(1, 'must be at least 1').max(600_000, 'must be at most 600000').optional()),
  OTEL_SERVICE_NAME: optionalString,
  OTEL_RESOURCE_ATTRIBUTES: keyValues('resource attributes'),
  OTEL_TRACES_SAMPLER: optionalString.pipe(z.enum(SAMPLERS, { error: `must be one of ${SAMPLERS.join(', ')}` }).optional()),
  OTEL_TRACES_SAMPLER_ARG: samplerArg,
  OTEL_BSP_SCHEDULE_DELAY: intFromEnv(5000, 0, 600_000),
  OTEL_BSP_EXPORT_TIMEOUT: intFromEnv(30_000, 1, 600_000),
  OTEL_BSP_MAX_QUEUE_SIZE: intFromEnv(2048, 1, 1_000_000),
  OTEL_BSP_MAX_EXPORT_BATCH_SIZE: intFromEnv(512, 1, 1_000_000)
}

type TracingEnv = z.infer<z.ZodObject<typeof TRACING_ENV>>

/** the traces URL: the signal's own endpoint as given, or the general one with /v1/traces after its path */
function tracesEndpoint (e: TracingEnv): string | undefined {
  if (e.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT !== undefined) return e.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT
  const base = e.OTEL_EXPORTER_OTLP_ENDPOINT
  return base === undefined ? undefined : `${base.replace(/\/+$/, '')}/v1/traces`
}

/** null when no endpoint is set, or OTEL_SDK_DISABLED=true: then nothing is traced */
export function tracingSettings (e: TracingEnv): TracingSettings | null {
  const url = tracesEndpoint(e)
  if (url === undefined || e.OTEL_SDK_DISABLED) return null
  const { 'service.name': resourceServiceName, ...resourceAttributes } = e.OTEL_RESOURCE_ATTRIBUTES
  return {
    endpoint: url,
    protocol: e.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? e.OTEL_EXPORTER_OTLP_PROTOCOL ?? 'http/protobuf',
    headers: { ...e.OTEL_EXPORTER_OTLP_HEADERS, ...e.OTEL_EXPORTER_OTLP_TRACES_HEADERS },
    exportTimeoutMs: e.OTEL_EXPORTER_OTLP_TRACES_TIMEOUT ?? e.OTEL_EXPORTER_OTLP_TIMEOUT,
    serviceName: e.OTEL_SERVICE_NAME ?? resourceServiceName ?? DEFAULT_SERVICE_NAME,
    resourceAttributes,
    sampler: e.OTEL_TRACES_SAMPLER ?? 'parentbased_always_on',
    samplerRatio: e.OTEL_TRACES_SAMPLER_ARG ?? 1,
    batch: {
      scheduleDelayMs: e.OTEL_BSP_SCHEDULE_DELAY,
      exportTimeoutMs: e.OTEL_BSP_EXPORT_TIMEOUT,
      maxQueueSize: e.OTEL_BSP_MAX_QUEUE_SIZE,
      // the SDK refuses a batch larger than its queue
      maxExportBatchSize: Math.min(e.OTEL_BSP_MAX_EXPORT_BATCH_SIZE, e.OTEL_BSP_MAX_QUEUE_SIZE)
    }
  }
}
