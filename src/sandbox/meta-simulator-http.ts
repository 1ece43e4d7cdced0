// Answers in the shapes Meta uses, as plain values (handlers stay free of Fastify and easy to read), and the
// request bodies the simulator reads (multipart and urlencoded forms).
import { randomBytes } from 'node:crypto'
import { STATUS_CODES } from 'node:http'
import type { ServerResponse } from 'node:http'
import type { FastifyRequest } from 'fastify'
import type { GraphErrorSpec } from './meta-simulator-types.js'

export interface SimResponse {
  status: number
  /** Objects are sent as JSON, strings as they are (with contentType). */
  body: unknown
  contentType?: string
  headers?: Record<string, string>
}

// Real fbtrace_ids are short opaque base64 strings; clients are expected to log them, never to parse them.
function fbtraceId (): string {
  return randomBytes(9).toString('base64').slice(0, 11)
}

export function json (body: unknown, status = 200, headers?: Record<string, string>): SimResponse {
  return { status, body, ...(headers !== undefined ? { headers } : {}) }
}

export function graphError (spec: GraphErrorSpec, status = 400, headers?: Record<string, string>): SimResponse {
  const error: Record<string, unknown> = {
    message: spec.message ?? 'An unexpected error has occurred. Please retry your request later.',
    type: spec.type ?? 'OAuthException',
    code: spec.code
  }
  if (spec.error_subcode !== undefined) error['error_subcode'] = spec.error_subcode
  if (spec.is_transient !== undefined) error['is_transient'] = spec.is_transient
  error['fbtrace_id'] = fbtraceId()
  return json({ error }, status, headers)
}

export function plain (status: number, headers?: Record<string, string>): SimResponse {
  return { status, body: STATUS_CODES[status] ?? 'Error', contentType: 'text/plain; charset=utf-8', ...(headers !== undefined ? { headers } : {}) }
}

export function html (status: number, body: string): SimResponse {
  return { status, body, contentType: 'text/html; charset=utf-8' }
}

export function redirect (location: string): SimResponse {
  return { status: 302, body: '', headers: { location } }
}

// The messages Meta uses, as Meta's *Handling Errors* page and public logs of its answers quote them
// (https://developers.facebook.com/docs/graph-api/guides/error-handling).
export const MSG = {
  badAppId: 'Error validating application. Invalid application ID.',
  badSecret: 'Error validating client secret.',
  badCodeFormat: 'Invalid verification code format.',
  codeUsed: 'This authorization code has been used.',
  redirectMismatch: 'Error validating verification code. Please make sure your redirect_uri is identical to the one you used in the OAuth dialog request',
  invalidToken: 'Invalid OAuth access token.',
  badAppToken: 'Invalid OAuth access token signature.',
  unparsableToken: 'Invalid OAuth access token - Cannot parse access token',
  invalidatedSession: 'Error validating access token: The session has been invalidated because the user changed their password or Facebook has changed the session for security reasons.',
  noToken: 'An active access token must be used to query information about the current user.',
  tokenRequired: 'An access token is required to request this resource.',
  proofRequired: 'API calls from the server require an appsecret_proof argument',
  badProof: 'Invalid appsecret_proof provided in the API argument',
  assetIdRequired: '(#100) The parameter asset_id is required',
  inputTokenRequired: '(#100) The parameter input_token is required'
} as const

export function expiredMessage (expiresAt: number, now: number): string {
  return `Error validating access token: Session has expired on ${metaDate(expiresAt)}. The current time is ${metaDate(now)}.`
}

// Meta writes dates like "Friday, 26-Jun-26 15:48:19 PDT"; UTC keeps the simulator independent of the host's zone.
function metaDate (epochSeconds: number): string {
  const d = new Date(epochSeconds * 1000)
  const day = d.toLocaleDateString('en-US', { weekday: 'long', timeZone: 'UTC' })
  const month = d.toLocaleDateString('en-US', { month: 'short', timeZone: 'UTC' })
  const p = (n: number): string => String(n).padStart(2, '0')
  return `${day}, ${p(d.getUTCDate())}-${month}-${p(d.getUTCFullYear() % 100)} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} UTC`
}

/** a form body's fields and how they came: multipart (asset connections take only that) or urlencoded (Graph calls) */
export interface FormBody { type: 'multipart' | 'urlencoded', fields: Record<string, string> }

/** the fields of a multipart or urlencoded body, or undefined for any other body (JSON and others stay unread) */
export async function readForm (request: FastifyRequest): Promise<FormBody | undefined> {
  const contentType = request.headers['content-type']
  if (contentType === undefined || !Buffer.isBuffer(request.body)) return undefined
  if (/^application\/x-www-form-urlencoded\b/i.test(contentType)) {
    return { type: 'urlencoded', fields: Object.fromEntries(new URLSearchParams(request.body.toString('utf8'))) }
  }
  if (!/^multipart\/form-data\b/i.test(contentType)) return undefined
  try {
    const form = await new Response(request.body, { headers: { 'content-type': contentType } }).formData()
    const fields: Record<string, string> = {}
    for (const [name, value] of form) if (typeof value === 'string') fields[name] = value
    return { type: 'multipart', fields }
  } catch {
    // A malformed body reaches the handler as an empty form, which Meta answers with "parameter required".
    return { type: 'multipart', fields: {} }
  }
}

/** a wait that ends early when the client goes away or the simulator closes (it wakes every sleeper), so state settles at once */
export function sleepUnlessGone (ms: number, res: ServerResponse, sleepers: Set<() => void>): Promise<void> {
  if (ms <= 0) return Promise.resolve()
  return new Promise((resolve) => {
    const wake = (): void => {
      clearTimeout(timer)
      res.off('close', wake)
      sleepers.delete(wake)
      resolve()
    }
    const timer = setTimeout(wake, ms)
    res.once('close', wake)
    sleepers.add(wake)
  })
}
