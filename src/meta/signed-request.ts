// Meta's signed_request, as posted to the deauthorize and data deletion callbacks:
// `base64url(signature).base64url(payload)`, the signature being HMAC-SHA256 of the payload segment exactly as
// received, keyed by the app secret. Nothing in the payload is trusted before the signature is checked.
import { createHmac, timingSafeEqual } from 'node:crypto'
import { ProblemError } from '../lib/problems.js'

export interface SignedRequestPayload {
  /** the app-scoped ID of the person (digits) */
  user_id: string
  /** Unix seconds */
  issued_at: number
}

/** Meta's signed requests are a few hundred bytes; anything far longer is not one */
export const SIGNED_REQUEST_MAX_LENGTH = 8192

// base64url without padding, as Meta sends it; trailing `=` is tolerated since some encoders add it
const SEGMENT = /^[A-Za-z0-9_-]+={0,2}$/
const DIGITS = /^\d{1,32}$/

const invalid = (detail: string) => new ProblemError('invalid_signed_request', detail)

/** the signature of a payload segment, as Meta computes it (also what the simulated Meta signs with) */
export const signedRequestSignature = (payloadSegment: string, appSecret: string): Buffer =>
  createHmac('sha256', appSecret).update(payloadSegment, 'utf8').digest()

/**
 * Verifies and decodes a signed_request; throws `invalid_signed_request` (400) when its form, signature,
 * algorithm or payload is not what Meta sends. The comparison takes the same time wherever the bytes differ.
 */
export function verifySignedRequest (signedRequest: string, appSecret: string): SignedRequestPayload {
  if (signedRequest.length > SIGNED_REQUEST_MAX_LENGTH) throw invalid('signed_request is longer than Meta ever sends')
  const parts = signedRequest.split('.')
  if (parts.length !== 2 || !SEGMENT.test(parts[0]!) || !SEGMENT.test(parts[1]!)) {
    throw invalid('signed_request must be two base64url segments joined by a dot')
  }
  const [signatureSegment, payloadSegment] = parts as [string, string]
  const presented = Buffer.from(signatureSegment, 'base64url')
  const expected = signedRequestSignature(payloadSegment, appSecret)
  // timingSafeEqual needs equal lengths; a length that differs says nothing about the secret
  if (presented.length !== expected.length || !timingSafeEqual(presented, expected)) {
    throw invalid('The signature of signed_request does not match')
  }
  let payload: unknown
  try {
    payload = JSON.parse(Buffer.from(payloadSegment, 'base64url').toString('utf8'))
  } catch {
    throw invalid('The payload of signed_request is not JSON')
  }
  return checkPayload(payload)
}

function checkPayload (payload: unknown): SignedRequestPayload {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) throw invalid('The payload of signed_request is not an object')
  const { algorithm, issued_at: issuedAt, user_id: userId } = payload as Record<string, unknown>
  // Meta's own sample compares the algorithm case-insensitively
  if (typeof algorithm !== 'string' || algorithm.toUpperCase() !== 'HMAC-SHA256') throw invalid('The algorithm of signed_request must be HMAC-SHA256')
  if (typeof issuedAt !== 'number' || !Number.isSafeInteger(issuedAt) || issuedAt < 0) throw invalid('issued_at must be Unix seconds')
  // Meta writes user_id as a string of digits; a number is accepted when it is exact
  const user = typeof userId === 'number' && Number.isSafeInteger(userId) && userId >= 0 ? String(userId) : userId
  if (typeof user !== 'string' || !DIGITS.test(user)) throw invalid('user_id must be the app-scoped user ID (digits)')
  return { user_id: user, issued_at: issuedAt }
}
