// Entry point: configuration → app → listen; SIGTERM/SIGINT close gracefully (stop accepting, finish
// in-flight requests and webhook attempts, bounded), a second signal or the bound exits at once.
import closeWithGrace from 'close-with-grace'
import pino from 'pino'
import { buildApp } from './app.js'
import { ConfigError, loadConfig } from './config.js'

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

// Log lines are written asynchronously: under load they leave in batches instead of one blocking write()
// each (the request log cost ~10 % of the CPU of a login with synchronous writes to a pipe); pino flushes
// what is buffered when the process exits.
const app = await buildApp(config, { logStream: pino.destination({ dest: 1, sync: false }) })

closeWithGrace({ delay: config.webhook.timeoutMs + 5000 }, async ({ signal, err }) => {
  if (err) app.log.error({ err: { type: err.name, message: err.message } }, 'closing after an uncaught error')
  else app.log.info({ signal }, 'closing')
  await app.close()
})

try {
  await app.listen({ port: config.port, host: config.host })
} catch (err) {
  app.log.error({ err: { type: (err as Error).name, message: (err as Error).message } }, 'could not listen')
  process.exit(1)
}
