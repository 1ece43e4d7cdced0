import { createHmac } from 'node:crypto'

/**
 * Meta's timestamped appsecret_proof: HMAC-SHA256 of `token|time`, keyed by the app secret, lowercase hex.
 * Proofs expire after five minutes, so one is made per call.
 */
export function appsecretProof (accessToken: string, appSecret: string, nowMs = Date.now()): { appsecret_proof: string; appsecret_time: string } {
  const time = String(Math.floor(nowMs / 1000))
  return {
    appsecret_proof: createHmac('sha256', appSecret).update(`${accessToken}|${time}`).digest('hex'),
    appsecret_time: time
  }
}
