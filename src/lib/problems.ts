// RFC 9457 problem details: every error a route answers is one of these codes, with a stable `type` URI.

export const PROBLEMS = {
  invalid_request: { status: 400, title: 'Invalid request' },
  invalid_signed_request: { status: 400, title: 'Invalid signed_request' },
  unauthorized: { status: 401, title: 'Missing or invalid API key' },
  invalid_signature: { status: 401, title: 'Invalid signature' },
  verify_token_mismatch: { status: 403, title: 'Verify token does not match' },
  session_not_found: { status: 404, title: 'Session not found' },
  delivery_not_found: { status: 404, title: 'Delivery not found' },
  data_deletion_not_found: { status: 404, title: 'Data deletion request not found' },
  not_found: { status: 404, title: 'Not found' },
  session_not_pending: { status: 409, title: 'Session is not pending' },
  delivery_not_dead: { status: 409, title: 'Delivery is not dead-lettered' },
  flow_not_chosen: { status: 409, title: 'Flow not chosen yet' },
  flow_not_offered: { status: 409, title: 'Flow not offered by this session' },
  flow_already_chosen: { status: 409, title: 'Another flow was already chosen' },
  payload_too_large: { status: 413, title: 'Request body too large' },
  uri_too_long: { status: 414, title: 'URL too long' },
  unsupported_media_type: { status: 415, title: 'Unsupported media type' },
  flow_disabled: { status: 422, title: 'Flow disabled' },
  return_url_not_allowed: { status: 422, title: 'return_url not allowed' },
  rate_limited: { status: 429, title: 'Too many requests' },
  internal_error: { status: 500, title: 'Internal error' },
  service_unavailable: { status: 503, title: 'Service unavailable' }
} as const

export type ProblemCode = keyof typeof PROBLEMS

export interface FieldError { field: string; message: string }

export interface ProblemBody {
  type: string
  title: string
  status: number
  detail: string
  code: ProblemCode
  errors?: FieldError[]
}

const problemType = (code: ProblemCode): string => `urn:messenger-onboarding:problem:${code}`

/** An error a route throws on purpose; the error handler answers it as problem+json (or an HTML page). */
export class ProblemError extends Error {
  readonly statusCode: number
  constructor (
    readonly code: ProblemCode,
    readonly detail: string,
    readonly extra: { errors?: FieldError[]; headers?: Record<string, string> } = {}
  ) {
    super(detail)
    this.name = 'ProblemError'
    this.statusCode = PROBLEMS[code].status
  }

  toBody (): ProblemBody {
    const body: ProblemBody = {
      type: problemType(this.code),
      title: PROBLEMS[this.code].title,
      status: this.statusCode,
      detail: this.detail,
      code: this.code
    }
    if (this.extra.errors) body.errors = this.extra.errors
    return body
  }
}

/** Raised by a store when Redis does not answer in time: requests fail fast with 503 instead of hanging. */
export class StoreUnavailableError extends Error {
  constructor (cause?: unknown) {
    super('the session store is not answering', { cause })
    this.name = 'StoreUnavailableError'
  }
}
