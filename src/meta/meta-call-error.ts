// What can go wrong with one call to Meta, and what kind of failure it is: transient (worth trying again at
// once), throttled (Meta refuses until its window rolls over, so trying again at once only spends quota), or the
// token's own fault. Sources: Meta's *Handling Errors* (https://developers.facebook.com/docs/graph-api/guides/error-handling:
// 1 and 2 are temporary, 341 an app limit) and *Rate Limits* (https://developers.facebook.com/docs/graph-api/overview/rate-limiting:
// 4, 17, 32, 613 application, user and Page limits; 80000–80014 business use case limits; "any subsequent requests
// … will fail … until enough time has passed for the call count to drop below the limit").
import type { MetaEndpoint } from './meta-endpoints.js'

export interface GraphError {
  message?: string
  type?: string
  code?: number
  error_subcode?: number
  fbtrace_id?: string
  is_transient?: boolean
}

const TRANSIENT_GRAPH_CODES = new Set([1, 2, 341])
const THROTTLING_GRAPH_CODES = new Set([4, 17, 32, 613])
const isBusinessUseCaseLimit = (code: number): boolean => code >= 80000 && code <= 80014

export type MetaFailureReason = 'timeout' | 'network' | 'http' | 'bad_response'

/** `permanent`: Meta refused on the merits (the token, a permission, a parameter); decided at once */
export type MetaFailureKind = 'transient' | 'throttled' | 'permanent'

export class MetaCallError extends Error {
  constructor (
    readonly endpoint: MetaEndpoint,
    readonly reason: MetaFailureReason,
    readonly status?: number,
    readonly graph?: GraphError,
    /** how long Meta says access stays refused (its `estimated_time_to_regain_access`), in ms */
    readonly regainAccessMs?: number
  ) {
    // the message never carries Meta's text or the URL: both may echo a token or the app secret
    super(`Meta ${endpoint} call failed: ${reason}${status ? ` (HTTP ${status})` : ''}${graph?.code !== undefined ? ` code ${graph.code}${graph.error_subcode ? `/${graph.error_subcode}` : ''}` : ''}`)
    this.name = 'MetaCallError'
  }

  /** throttling first: Meta marks throttling errors `is_transient` too, but an immediate retry cannot help them */
  get kind (): MetaFailureKind {
    const code = this.graph?.code
    if (this.status === 429 || (code !== undefined && (THROTTLING_GRAPH_CODES.has(code) || isBusinessUseCaseLimit(code)))) return 'throttled'
    if (this.reason === 'timeout' || this.reason === 'network') return 'transient'
    if (this.status !== undefined && this.status >= 500) return 'transient'
    if (this.graph?.is_transient === true) return 'transient'
    return code !== undefined && TRANSIENT_GRAPH_CODES.has(code) ? 'transient' : 'permanent'
  }

  /** worth another attempt in the same request */
  get transient (): boolean { return this.kind === 'transient' }

  /** Meta refused for a reason that passes with time: the session waits rather than fails (a 2xx without the field needed counts too) */
  get passing (): boolean { return this.kind !== 'permanent' || this.reason === 'bad_response' }

  /** a permission error: code 10, or 200–299 (Handling Errors) */
  get permissionDenied (): boolean {
    const code = this.graph?.code
    return code !== undefined && (code === 10 || (code >= 200 && code <= 299))
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
