// Starts OpenTelemetry: imported (dynamically) by server.ts only when an OTLP endpoint is configured, and by the
// sandbox with SANDBOX_TRACES=1, in both cases before the app: the instrumentations must hook ioredis before
// anything imports it. Nothing in the rest of the service imports this folder.
import { createRequire, register } from 'node:module'
import { diag, DiagLogLevel, type DiagLogger } from '@opentelemetry/api'
import { W3CTraceContextPropagator } from '@opentelemetry/core'
import { registerInstrumentations } from '@opentelemetry/instrumentation'
import { defaultResource, resourceFromAttributes } from '@opentelemetry/resources'
import { BatchSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base'
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node'
import { BullMQOtel } from 'bullmq-otel'
import { createAddHookMessageChannel } from 'import-in-the-middle'
import { useTracing } from '../tracing.js'
import type { TracingSettings } from '../tracing-settings.js'
import { httpClientInstrumentation, redisInstrumentation, serverInstrumentation } from './instrumentations.js'
import { otelTracing } from './otel-tracing.js'
import { ServiceSampler } from './sampler.js'
import { ScrubbingExporter, scrubText } from './scrubbing-exporter.js'

export interface TracingHandle {
  /** exports what is still buffered, then stops */
  shutdown (): Promise<void>
}

// the same path from src/observability/otel/ and from dist/observability/otel/
const { version } = createRequire(import.meta.url)('../../../package.json') as { version: string }

/**
 * OpenTelemetry's own complaints (an export that failed, a queue that overflowed) as the service's JSON log
 * lines, warnings and errors only; the text only, scrubbed like a span, since an argument may be anything.
 */
function diagLogger (): DiagLogger {
  const write = (level: number) => (message: string) => {
    process.stdout.write(JSON.stringify({ level, time: Date.now(), msg: `opentelemetry: ${scrubText(String(message)).slice(0, 500)}` }) + '\n')
  }
  const ignore = () => {}
  return { error: write(50), warn: write(40), info: ignore, debug: ignore, verbose: ignore }
}

async function otlpExporter (settings: TracingSettings): Promise<SpanExporter> {
  const options = { url: settings.endpoint, headers: settings.headers, timeoutMillis: settings.exportTimeoutMs }
  if (settings.protocol === 'http/json') {
    const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-http')
    return new OTLPTraceExporter(options)
  }
  const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-proto')
  return new OTLPTraceExporter(options)
}

export async function startTracing (settings: TracingSettings): Promise<TracingHandle> {
  diag.setLogger(diagLogger(), DiagLogLevel.WARN)
  // ioredis is CommonJS imported from ES modules, which require hooks never see: the instrumentations' module
  // hooks go through import-in-the-middle's loader instead, told to intercept only the modules they name
  const { registerOptions, waitForAllMessagesAcknowledged } = createAddHookMessageChannel()
  register('import-in-the-middle/hook.mjs', import.meta.url, registerOptions)

  const resource = defaultResource().merge(resourceFromAttributes({
    ...settings.resourceAttributes,
    'service.name': settings.serviceName,
    'service.version': version
  }))
  const exporter = new ScrubbingExporter(await otlpExporter(settings))
  const provider = new NodeTracerProvider({
    resource,
    sampler: new ServiceSampler(settings.sampler, settings.samplerRatio),
    spanProcessors: [new BatchSpanProcessor(exporter, {
      scheduledDelayMillis: settings.batch.scheduleDelayMs,
      exportTimeoutMillis: settings.batch.exportTimeoutMs,
      maxQueueSize: settings.batch.maxQueueSize,
      maxExportBatchSize: settings.batch.maxExportBatchSize
    })]
  })
  // W3C trace context only: baggage from a browser or Meta is not passed on to the partner
  provider.register({ propagator: new W3CTraceContextPropagator() })

  const server = serverInstrumentation()
  registerInstrumentations({ tracerProvider: provider, instrumentations: [redisInstrumentation(), httpClientInstrumentation(), server] })
  await waitForAllMessagesAcknowledged()

  useTracing(otelTracing({
    fastifyPlugin: server.plugin(),
    queueTelemetry: new BullMQOtel({ tracerName: 'bullmq', version })
  }))
  return { shutdown: () => provider.shutdown() }
}
