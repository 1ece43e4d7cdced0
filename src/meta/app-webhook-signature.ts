// Meta's Webhooks sign each notification with `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the body>`,
// keyed by the app secret. The HMAC is over the body's bytes as they arrived: a body parsed and serialised
// again (other whitespace, key order or escapes) no longer matches, so the caller must keep the raw bytes.
import { createHmac, timingSafeEqual } from 'node:crypto'

const HEADER = /^sha256=([0-9a-f]{64})$/i

/** the header value Meta sends for a body (also what the simulated Meta signs with) */
export const hubSignature = (rawBody: Buffer | string, appSecret: string): string =>
  `sha256=${createHmac('sha256', appSecret).update(rawBody).digest('hex')}`

/** true only when `header` is Meta's signature of exactly these bytes; compared in constant time */
export function verifyHubSignature (rawBody: Buffer, header: string | string[] | undefined, appSecret: string): boolean {
  const match = typeof header === 'string' ? HEADER.exec(header.trim()) : null
  if (!match) return false
  const presented = Buffer.from(match[1]!, 'hex')
  const expected = createHmac('sha256', appSecret).update(rawBody).digest()
  // both are 32 bytes once the header has the right form; checked anyway, as timingSafeEqual requires it
  return presented.length === expected.length && timingSafeEqual(presented, expected)
}
