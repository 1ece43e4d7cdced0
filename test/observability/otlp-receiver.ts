// An OTLP/HTTP trace receiver on loopback, as a collector would be: it decodes http/protobuf with the official
// proto definitions (otlp-proto/, opentelemetry-proto v1.11.0) through protobufjs, and http/json as JSON, into
// the sandbox's flat span records; it keeps every byte it was sent, for the tests that look for secrets in them.
import { once } from 'node:events'
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'
import protobuf from 'protobufjs'
import { spansOfExport, type ExportedSpan } from '../../src/sandbox/otlp-spans.js'

const PROTOS = fileURLToPath(new URL('./otlp-proto/', import.meta.url))

async function requestType (): Promise<protobuf.Type> {
  const root = new protobuf.Root()
  // the definitions import each other by their path from the repository's root
  root.resolvePath = (_origin, target) => PROTOS + target
  await root.load('opentelemetry/proto/collector/trace/v1/trace_service.proto', { keepCase: false })
  return root.lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest')
}

/** protobuf's IDs are bytes, OTLP/JSON's hex: the decoded message in OTLP/JSON's shape */
function hexIds (message: Record<string, any>): Record<string, any> {
  for (const resourceSpans of message.resourceSpans ?? []) {
    for (const scopeSpans of resourceSpans.scopeSpans ?? []) {
      for (const span of scopeSpans.spans ?? []) {
        for (const holder of [span, ...(span.links ?? [])]) {
          for (const field of ['traceId', 'spanId', 'parentSpanId']) {
            if (typeof holder[field] === 'string') holder[field] = Buffer.from(holder[field], 'base64').toString('hex')
          }
        }
      }
    }
  }
  return message
}

export interface ReceivedExport { contentType: string; path: string; headers: IncomingHttpHeaders; body: Buffer }

export class OtlpReceiver {
  readonly spans: ExportedSpan[] = []
  readonly exports: ReceivedExport[] = []
  readonly #server: Server
  #type: protobuf.Type | undefined

  constructor () {
    this.#server = createServer((req, res) => {
      const chunks: Buffer[] = []
      req.on('data', (chunk: Buffer) => chunks.push(chunk))
      req.on('end', () => {
        const body = Buffer.concat(chunks)
        const contentType = String(req.headers['content-type'] ?? '')
        this.exports.push({ contentType, path: req.url ?? '', headers: req.headers, body })
        try {
          this.spans.push(...spansOfExport(contentType.includes('json') ? JSON.parse(body.toString('utf8')) : this.#decode(body)))
          // an empty ExportTraceServiceResponse: nothing rejected
          res.writeHead(200, { 'content-type': contentType.includes('json') ? 'application/json' : 'application/x-protobuf' })
          res.end(contentType.includes('json') ? '{}' : '')
        } catch (err) {
          res.writeHead(400).end(String(err))
        }
      })
    })
  }

  #decode (body: Buffer): Record<string, any> {
    const message = this.#type!.decode(body)
    return hexIds(this.#type!.toObject(message, { longs: String, enums: Number, bytes: String, arrays: true }))
  }

  get url (): string { return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}` }

  async start (): Promise<void> {
    this.#type = await requestType()
    this.#server.listen(0, '127.0.0.1')
    await once(this.#server, 'listening')
  }

  async close (): Promise<void> {
    this.#server.closeAllConnections()
    await new Promise((resolve) => this.#server.close(resolve))
  }

  /** resolves with the spans once `predicate` holds of them; rejects after `timeoutMs` */
  async waitFor (predicate: (spans: ExportedSpan[]) => boolean, timeoutMs = 10_000): Promise<ExportedSpan[]> {
    const deadline = Date.now() + timeoutMs
    while (!predicate(this.spans)) {
      if (Date.now() > deadline) throw new Error(`OTLP receiver: condition not met within ${timeoutMs} ms (${this.spans.length} spans)`)
      await new Promise((resolve) => setTimeout(resolve, 25))
    }
    return this.spans
  }
}
