// OpenTelemetry's variables (SPEC §2, §9) with their standard meaning: no endpoint = no tracing; the traces URL
// from either endpoint variable; http/protobuf by default, http/json, and grpc refused by name; headers, the
// sampler and the batch processor's settings, each refused by name (never with its value) when malformed.
import t from 'tap'
import { loadConfig } from '../../src/config/config.js'
import { env, rejects } from './config-fixtures.js'

const tracing = (overrides: Record<string, string | undefined>) => loadConfig(env(overrides)).tracing

t.test('no endpoint, no tracing: the other variables alone turn nothing on', async (t) => {
  t.equal(tracing({}), null)
  t.equal(tracing({ OTEL_SERVICE_NAME: 'x', OTEL_TRACES_SAMPLER: 'always_on', OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' }), null)
  t.equal(tracing({ OTEL_EXPORTER_OTLP_ENDPOINT: '' }), null, 'an empty variable is unset')
  t.equal(tracing({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_SDK_DISABLED: 'TRUE' }), null, 'OTEL_SDK_DISABLED=true turns it off')
  t.not(tracing({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_SDK_DISABLED: 'false' }), null)
})

t.test('defaults with an endpoint: http/protobuf, service.name messenger-onboarding, parent-based always on', async (t) => {
  t.strictSame(tracing({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }), {
    endpoint: 'http://collector:4318/v1/traces',
    protocol: 'http/protobuf',
    headers: {},
    exportTimeoutMs: 10_000,
    serviceName: 'messenger-onboarding',
    resourceAttributes: {},
    sampler: 'parentbased_always_on',
    samplerRatio: 1,
    batch: { scheduleDelayMs: 5000, exportTimeoutMs: 30_000, maxQueueSize: 2048, maxExportBatchSize: 512 }
  })
})

t.test('the traces URL: the general endpoint + /v1/traces after its path, the traces endpoint as given', async (t) => {
  t.equal(tracing({ OTEL_EXPORTER_OTLP_ENDPOINT: 'https://otel.example.com/' })!.endpoint, 'https://otel.example.com/v1/traces')
  t.equal(tracing({ OTEL_EXPORTER_OTLP_ENDPOINT: 'https://otel.example.com/otlp' })!.endpoint, 'https://otel.example.com/otlp/v1/traces')
  t.equal(tracing({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://otel.example.com/ingest' })!.endpoint, 'https://otel.example.com/ingest')
  t.equal(tracing({
    OTEL_EXPORTER_OTLP_ENDPOINT: 'https://general.example.com',
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://traces.example.com/v1/traces'
  })!.endpoint, 'https://traces.example.com/v1/traces', 'the signal\'s own variable wins')
  rejects(t, { OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' }, 'OTEL_EXPORTER_OTLP_ENDPOINT', /http\(s\) URL/)
  rejects(t, { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'grpc://collector:4317' }, 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', /http\(s\) URL/)
})

t.test('the protocol: http/protobuf or http/json, the traces variable winning; grpc refused by name', async (t) => {
  const endpoint = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }
  t.equal(tracing({ ...endpoint, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' })!.protocol, 'http/json')
  t.equal(tracing({ ...endpoint, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/protobuf' })!.protocol, 'http/protobuf')
  const err = rejects(t, { ...endpoint, OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }, 'OTEL_EXPORTER_OTLP_PROTOCOL', /grpc is not supported/)
  t.match(err.message, /OTEL_EXPORTER_OTLP_PROTOCOL: grpc is not supported: this service exports OTLP over HTTP, http\/protobuf \(the default\) or http\/json/)
  rejects(t, { OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'grpc' }, 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL', /grpc is not supported/)
  rejects(t, { OTEL_EXPORTER_OTLP_PROTOCOL: 'http' }, 'OTEL_EXPORTER_OTLP_PROTOCOL', /http\/protobuf \(the default\) or http\/json/)
})

t.test('headers: key=value pairs, percent-decoded, the traces ones over the general ones; never echoed', async (t) => {
  const settings = tracing({
    OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
    OTEL_EXPORTER_OTLP_HEADERS: 'x-api-key=general%3Dkey, x-tenant = acme',
    OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'x-api-key=traces-key'
  })!
  t.strictSame(settings.headers, { 'x-api-key': 'traces-key', 'x-tenant': 'acme' })
  const secret = 'hdr-secret-value-4411'
  const err = rejects(t, { OTEL_EXPORTER_OTLP_HEADERS: `authorization${secret}` }, 'OTEL_EXPORTER_OTLP_HEADERS', /key=value/)
  t.notMatch(err.message, secret, 'the value is not in the message')
  rejects(t, { OTEL_EXPORTER_OTLP_TRACES_HEADERS: `x=${'%E0%A4%A'}` }, 'OTEL_EXPORTER_OTLP_TRACES_HEADERS', /percent-encoded/)
})

t.test('service name and resource attributes', async (t) => {
  const endpoint = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }
  t.equal(tracing({ ...endpoint, OTEL_SERVICE_NAME: 'onboarding-eu' })!.serviceName, 'onboarding-eu')
  const settings = tracing({ ...endpoint, OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment=prod,service.name=from-resource' })!
  t.equal(settings.serviceName, 'from-resource', 'service.name of OTEL_RESOURCE_ATTRIBUTES when OTEL_SERVICE_NAME is unset')
  t.strictSame(settings.resourceAttributes, { 'deployment.environment': 'prod' })
  t.equal(tracing({ ...endpoint, OTEL_SERVICE_NAME: 'named', OTEL_RESOURCE_ATTRIBUTES: 'service.name=other' })!.serviceName, 'named', 'OTEL_SERVICE_NAME wins')
  rejects(t, { OTEL_RESOURCE_ATTRIBUTES: '=x' }, 'OTEL_RESOURCE_ATTRIBUTES')
})

t.test('the sampler and its ratio', async (t) => {
  const endpoint = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }
  const settings = tracing({ ...endpoint, OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.25' })!
  t.equal(settings.sampler, 'parentbased_traceidratio')
  t.equal(settings.samplerRatio, 0.25)
  rejects(t, { OTEL_TRACES_SAMPLER: 'jaeger_remote' }, 'OTEL_TRACES_SAMPLER', /must be one of always_on, always_off, traceidratio/)
  rejects(t, { OTEL_TRACES_SAMPLER_ARG: '1.5' }, 'OTEL_TRACES_SAMPLER_ARG', /from 0 to 1/)
  rejects(t, { OTEL_TRACES_SAMPLER_ARG: 'half' }, 'OTEL_TRACES_SAMPLER_ARG', /from 0 to 1/)
})

t.test('timeouts and the batch processor', async (t) => {
  const settings = tracing({
    OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
    OTEL_EXPORTER_OTLP_TIMEOUT: '4000',
    OTEL_BSP_SCHEDULE_DELAY: '50',
    OTEL_BSP_EXPORT_TIMEOUT: '2000',
    OTEL_BSP_MAX_QUEUE_SIZE: '100',
    OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '512'
  })!
  t.equal(settings.exportTimeoutMs, 4000)
  t.strictSame(settings.batch, { scheduleDelayMs: 50, exportTimeoutMs: 2000, maxQueueSize: 100, maxExportBatchSize: 100 }, 'a batch no larger than the queue')
  t.equal(tracing({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_EXPORTER_OTLP_TIMEOUT: '4000', OTEL_EXPORTER_OTLP_TRACES_TIMEOUT: '1500' })!.exportTimeoutMs, 1500)
  rejects(t, { OTEL_BSP_SCHEDULE_DELAY: '5s' }, 'OTEL_BSP_SCHEDULE_DELAY', /whole number/)
  rejects(t, { OTEL_EXPORTER_OTLP_TRACES_TIMEOUT: '0' }, 'OTEL_EXPORTER_OTLP_TRACES_TIMEOUT', /at least 1/)
  rejects(t, { OTEL_SDK_DISABLED: 'yes' }, 'OTEL_SDK_DISABLED', /true or false/)
})

t.test('every tracing problem is named with the others in one message', async (t) => {
  const err = rejects(t, { OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc', OTEL_TRACES_SAMPLER: 'xray', COOKIE_SECRET: 'short' }, 'OTEL_EXPORTER_OTLP_PROTOCOL')
  t.match(err.message, /OTEL_TRACES_SAMPLER/)
  t.match(err.message, /COOKIE_SECRET/)
})
