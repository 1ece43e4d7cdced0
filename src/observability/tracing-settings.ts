// What the service exports its traces with: the OTEL_* variables as config/tracing-config.ts reads them. A leaf
// type, so that the configuration and the OpenTelemetry start (otel/start-tracing.ts) share it without either
// importing the other.

export type OtlpProtocol = 'http/protobuf' | 'http/json'

export type SamplerName =
  | 'always_on' | 'always_off' | 'traceidratio'
  | 'parentbased_always_on' | 'parentbased_always_off' | 'parentbased_traceidratio'

export interface TracingSettings {
  /** the URL spans are POSTed to (OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, or OTEL_EXPORTER_OTLP_ENDPOINT + /v1/traces) */
  endpoint: string
  protocol: OtlpProtocol
  /** sent with every export, e.g. a collector's API key: a secret, never logged */
  headers: Record<string, string>
  /** one export's timeout */
  exportTimeoutMs: number
  serviceName: string
  /** OTEL_RESOURCE_ATTRIBUTES, service.name aside */
  resourceAttributes: Record<string, string>
  sampler: SamplerName
  /** the ratio of the traceidratio samplers, 0–1 */
  samplerRatio: number
  /** the batch span processor (OTEL_BSP_*) */
  batch: { scheduleDelayMs: number; exportTimeoutMs: number; maxQueueSize: number; maxExportBatchSize: number }
}
