// What can go wrong with one call to Meta, and whether it is worth trying again.
import type { MetaEndpoint } from './meta-endpoints.js'

export interface GraphError {
  message?: string
  type?: string
  code?: number
  error_subcode?: number
  fbtrace_id?: string
  is_transient?: boolean
}

/** Graph codes Meta documents as temporary or as throttling: 1/2 transient, 4/17/32/341/613 rate limits. */
const TRANSIENT_GRAPH_CODES = new Set([1, 2, 4, 17, 32, 341, 613])

export type MetaFailureReason = 'timeout' | 'network' | 'http' | 'bad_response'

export class MetaCallError extends Error {
  constructor (
    readonly endpoint: MetaEndpoint,
    readonly reason: MetaFailureReason,
    readonly status?: number,
    readonly graph?: GraphError
  ) {
    // the message never carries Meta's text or the URL: both may echo a token or the app secret
    super(`Meta ${endpoint} call failed: ${reason}${status ? ` (HTTP ${status})` : ''}${graph?.code !== undefined ? ` code ${graph.code}${graph.error_subcode ? `/${graph.error_subcode}` : ''}` : ''}`)
    this.name = 'MetaCallError'
  }

  /** network trouble, a timeout, a 5xx, a 429, or a Graph error Meta marks as temporary */
  get transient (): boolean {
    if (this.reason === 'timeout' || this.reason === 'network') return true
    if (this.status !== undefined && (this.status >= 500 || this.status === 429)) return true
    if (this.graph?.is_transient === true) return true
    return this.graph?.code !== undefined && TRANSIENT_GRAPH_CODES.has(this.graph.code)
  }

  /** the part of Meta's answer kept in a failure's `meta` field: enough to quote to Meta support */
  get meta (): Record<string, string | number> | undefined {
    if (!this.graph) return undefined
    const meta: Record<string, string | number> = {}
    if (this.graph.type !== undefined) meta.type = this.graph.type
    if (this.graph.code !== undefined) meta.code = this.graph.code
    if (this.graph.error_subcode !== undefined) meta.error_subcode = this.graph.error_subcode
    if (this.graph.fbtrace_id !== undefined) meta.fbtrace_id = this.graph.fbtrace_id
    return meta
  }
}
