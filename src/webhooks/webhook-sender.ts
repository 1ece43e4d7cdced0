// One delivery attempt: POST the signed body to WEBHOOK_URL and say what happened. 2xx = delivered,
// 410 = gone (stop), anything else = retry, honouring Retry-After on 429/503.
import { request, type Dispatcher } from 'undici'
import { Deadline } from '../lib/deadline.js'
import type { WebhookSigner } from './signer.js'

export type AttemptResult =
  | { outcome: 'delivered'; status: number }
  | { outcome: 'gone'; status: 410; error: string }
  | { outcome: 'failed' | 'timeout'; status?: number; error: string; retryAfterMs?: number }

export interface WebhookSenderOptions {
  url: string
  timeoutMs: number
  signer: WebhookSigner
  dispatcher?: Dispatcher
  now?: () => number
}

/** Retry-After as seconds or as an HTTP date; undefined when absent or unreadable */
export function parseRetryAfter (value: string | string[] | undefined, now: number): number | undefined {
  const text = Array.isArray(value) ? value[0] : value
  if (!text) return undefined
  if (/^\d+$/.test(text.trim())) return Number(text.trim()) * 1000
  const date = Date.parse(text)
  return Number.isNaN(date) ? undefined : Math.max(0, date - now)
}

export class WebhookSender {
  /** where attempts go, as their spans say it: host and port only (a partner may put a secret in the path or query) */
  readonly server: { address: string; port: number }

  constructor (private readonly options: WebhookSenderOptions) {
    const url = new URL(options.url)
    this.server = { address: url.hostname, port: Number(url.port) || (url.protocol === 'https:' ? 443 : 80) }
  }

  /** `traceHeaders`: the attempt span's traceparent, so the partner can continue its trace */
  async send (eventId: string, body: string, traceHeaders?: Record<string, string>): Promise<AttemptResult> {
    const now = this.options.now?.() ?? Date.now()
    const signal = new Deadline(this.options.timeoutMs)
    try {
      const res = await request(this.options.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'messenger-onboarding-webhooks/1',
          ...traceHeaders,
          ...this.options.signer.headers(eventId, body, new Date(now))
        },
        body,
        signal,
        dispatcher: this.options.dispatcher
      })
      // the answer's body is not needed; draining it returns the connection to the pool
      await res.body.dump().catch(() => {})
      const status = res.statusCode
      if (status >= 200 && status < 300) return { outcome: 'delivered', status }
      if (status === 410) return { outcome: 'gone', status, error: 'HTTP 410' }
      const retryAfterMs = status === 429 || status === 503 ? parseRetryAfter(res.headers['retry-after'], now) : undefined
      return { outcome: 'failed', status, error: `HTTP ${status}`, retryAfterMs }
    } catch (err) {
      if (signal.aborted) return { outcome: 'timeout', error: `no answer within ${this.options.timeoutMs} ms` }
      const code = (err as { code?: unknown }).code
      return { outcome: 'failed', error: typeof code === 'string' ? `network error ${code}` : 'network error' }
    } finally {
      signal.clear()
    }
  }
}
