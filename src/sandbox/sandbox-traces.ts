// SANDBOX_TRACES=1: the sandbox's service traced as in production, exporting OTLP/JSON over HTTP to a small
// receiver in the sandbox's own process, which prints each finished onboarding as a tree (trace-tree.ts). What
// is printed is what a collector would have received: the spans as they left the exporter, scrubbed.
import { once } from 'node:events'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { startTracing } from '../observability/otel/start-tracing.js'
import { spansOfExport } from './otlp-spans.js'
import { TraceTrees } from './trace-tree.js'

/** how long an onboarding's trace must be quiet before it is printed: its webhooks and provisioning come after the answer */
const QUIET_MS = 1500
const MAX_EXPORT_BYTES = 16 * 1024 * 1024

export interface TracePrinter { close (): Promise<void> }

/** must be called before the sandbox (and so the app) is imported: see start-tracing.ts */
export async function startTracePrinter (print: (text: string) => void, quietMs = QUIET_MS): Promise<TracePrinter> {
  const trees = new TraceTrees(print, quietMs)
  const receiver = createServer((req, res) => {
    const chunks: Buffer[] = []
    let size = 0
    req.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size <= MAX_EXPORT_BYTES) chunks.push(chunk)
    })
    req.on('end', () => {
      try {
        trees.add(spansOfExport(JSON.parse(Buffer.concat(chunks).toString('utf8'))))
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}')
      } catch {
        res.writeHead(400).end()
      }
    })
  })
  receiver.listen(0, '127.0.0.1')
  await once(receiver, 'listening')
  const tracing = await startTracing({
    endpoint: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/v1/traces`,
    protocol: 'http/json',
    headers: {},
    exportTimeoutMs: 5000,
    serviceName: 'messenger-onboarding',
    resourceAttributes: { 'deployment.environment': 'sandbox' },
    sampler: 'always_on',
    samplerRatio: 1,
    batch: { scheduleDelayMs: 200, exportTimeoutMs: 5000, maxQueueSize: 8192, maxExportBatchSize: 512 }
  })
  const timer = setInterval(() => trees.flush(), Math.min(500, quietMs))
  timer.unref()
  return {
    async close () {
      clearInterval(timer)
      await tracing.shutdown()
      trees.flush(true)
      receiver.closeAllConnections()
      await new Promise((resolve) => receiver.close(resolve))
    }
  }
}
