// Preloaded into a service process by the tracing tests (`--import`): at exit it writes every module the process
// loaded to MODULE_REPORT, as JSON. ES modules come from a loader hook (module-report-hook.mjs, which sees every
// resolved URL, import-in-the-middle's loader included), CommonJS ones from the require cache (OpenTelemetry's
// packages are CommonJS, also when imported); and whether anything registered a global OpenTelemetry API.
import { writeFileSync } from 'node:fs'
import { createRequire, register } from 'node:module'
import { MessageChannel } from 'node:worker_threads'

const esm = []
const { port1, port2 } = new MessageChannel()
port1.on('message', (url) => esm.push(url))
port1.unref()
register('./module-report-hook.mjs', import.meta.url, { data: { port: port2 }, transferList: [port2] })

process.on('exit', () => {
  const otelGlobal = globalThis[Symbol.for('opentelemetry.js.api.1')]
  writeFileSync(process.env.MODULE_REPORT, JSON.stringify({
    esm,
    cjs: Object.keys(createRequire(import.meta.url).cache),
    otelGlobals: otelGlobal ? Object.keys(otelGlobal).filter((key) => key !== 'version') : []
  }))
})
