// Entry point: configuration → tracing, when an OTLP endpoint is set → app → listen; SIGTERM/SIGINT close
// gracefully (stop accepting, finish in-flight requests and webhook attempts, bounded), a second signal or the
// bound exits at once.
import closeWithGrace from 'close-with-grace'
import { ConfigError, loadConfig } from './config/config.js'
import { settleWithin } from './lib/settle-within.js'

/** what may still be buffered is exported at shutdown, within this bound */
const TRACES_FLUSH_MS = 3000

let config
try {
  config = loadConfig()
} catch (err) {
  if (err instanceof ConfigError) {
    process.stderr.write(`${err.message}\n`)
    process.exit(1)
  }
  throw err
}

// OpenTelemetry is started before the app is imported, so that its instrumentations hook ioredis as it loads;
// both imports are dynamic for that reason, and without an endpoint nothing of OpenTelemetry is loaded at all
const tracing = config.tracing ? await (await import('./observability/otel/start-tracing.js')).startTracing(config.tracing) : null
const { buildApp } = await import('./app.js')
const app = await buildApp(config)

closeWithGrace({ delay: config.webhook.timeoutMs + 5000 }, async ({ signal, err }) => {
  if (err) app.log.error({ err }, 'closing after an uncaught error')
  else app.log.info({ signal }, 'closing')
  await app.close()
  if (tracing) await settleWithin(tracing.shutdown(), TRACES_FLUSH_MS)
})

try {
  await app.listen({ port: config.port, host: config.host })
} catch (err) {
  app.log.error({ err }, 'could not listen')
  process.exit(1)
}
