// One HTTP call to Meta over undici, with its own timeout, its latency recorded, its client span (named by the
// endpoint, as the metric is), and every failure turned into a MetaCallError. Nothing here logs or traces a URL
// or a body: they carry tokens and the app secret.
import { request, type Dispatcher } from 'undici'
import { Deadline } from '../lib/deadline.js'
import type { Metrics } from '../observability/metrics.js'
import { tracing, type SpanScope } from '../observability/tracing.js'
import type { MetaEndpoint } from './meta-endpoints.js'
import { MetaCallError, type GraphError } from './meta-call-error.js'
import { regainAccessMs } from './usage-headers.js'

const MAX_RESPONSE_BYTES = 1024 * 1024

export interface MetaTransportOptions {
  dispatcher?: Dispatcher
  metrics?: Metrics
}

export interface MetaRequest {
  endpoint: MetaEndpoint
  url: URL
  method?: 'GET' | 'POST'
  headers?: Record<string, string>
  body?: Dispatcher.DispatchOptions['body']
  timeoutMs: number
}

const str = (v: unknown, max = 256): string | undefined => (typeof v === 'string' ? v.slice(0, max) : undefined)
const int = (v: unknown): number | undefined => (typeof v === 'number' && Number.isInteger(v) ? v : undefined)

/** Meta's error envelope, keeping only well-typed fields */
function graphError (body: unknown): GraphError | undefined {
  const error = (body as { error?: unknown } | null)?.error
  if (!error || typeof error !== 'object') return undefined
  const e = error as Record<string, unknown>
  return {
    message: str(e.message),
    type: str(e.type, 64),
    code: int(e.code),
    error_subcode: int(e.error_subcode),
    fbtrace_id: str(e.fbtrace_id, 64),
    is_transient: typeof e.is_transient === 'boolean' ? e.is_transient : undefined
  }
}

/** what Meta support asks for (its error's code and fbtrace_id), and the failure's kind as `error.type` */
function failed (span: SpanScope, err: MetaCallError): void {
  span.set({ 'meta.error.code': err.graph?.code, 'meta.error.subcode': err.graph?.error_subcode, 'meta.fbtrace_id': err.graph?.fbtrace_id })
  span.fail(err.reason === 'http' && err.status !== undefined ? String(err.status) : err.reason)
}

async function readBody (body: Dispatcher.ResponseData['body']): Promise<string> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of body) {
    size += (chunk as Buffer).length
    if (size > MAX_RESPONSE_BYTES) throw new Error('response too large')
    chunks.push(chunk as Buffer)
  }
  return Buffer.concat(chunks).toString('utf8')
}

/** a client span per call (a retry is a call of its own), a child of whatever made it */
export async function callMeta (req: MetaRequest, options: MetaTransportOptions): Promise<unknown> {
  const method = req.method ?? 'GET'
  const attributes = {
    'meta.endpoint': req.endpoint,
    'http.request.method': method,
    'server.address': req.url.hostname,
    'server.port': Number(req.url.port) || (req.url.protocol === 'https:' ? 443 : 80)
  }
  return await tracing().span(`${method} ${req.endpoint}`, { kind: 'client', attributes }, (span) => send(req, method, options, span))
}

async function send (req: MetaRequest, method: string, options: MetaTransportOptions, span: SpanScope): Promise<unknown> {
  const started = performance.now()
  let label = 'network'
  const signal = new Deadline(req.timeoutMs)
  try {
    let status: number
    let text: string
    let headers: Record<string, string | string[] | undefined> = {}
    try {
      const res = await request(req.url, {
        method,
        headers: { accept: 'application/json', ...req.headers },
        body: req.body,
        signal,
        dispatcher: options.dispatcher
      })
      status = res.statusCode
      span.set({ 'http.response.status_code': status })
      headers = res.headers
      label = String(status)
      text = await readBody(res.body)
    } catch {
      if (signal.aborted) {
        label = 'timeout'
        throw new MetaCallError(req.endpoint, 'timeout')
      }
      throw new MetaCallError(req.endpoint, 'network', label === 'network' ? undefined : Number(label))
    }
    let json: unknown
    try {
      json = JSON.parse(text)
    } catch {
      throw new MetaCallError(req.endpoint, status >= 200 && status < 300 ? 'bad_response' : 'http', status, undefined, regainAccessMs(headers))
    }
    if (status < 200 || status >= 300) throw new MetaCallError(req.endpoint, 'http', status, graphError(json), regainAccessMs(headers))
    return json
  } catch (err) {
    if (err instanceof MetaCallError) failed(span, err)
    throw err
  } finally {
    signal.clear()
    options.metrics?.metaDuration.observe({ endpoint: req.endpoint, status: label }, (performance.now() - started) / 1000)
  }
}
