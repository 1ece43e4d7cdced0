// The shapes an environment variable's value can take, as zod schemas: config.ts composes them into the schema of
// the whole environment. Each message says what is expected, never what was given (it may be a secret).
import { z } from 'zod'
import { parseDuration } from './duration.js'

export const DIGITS = /^\d+$/
/** a longer delay than this is not a retry any more; it also keeps timers within Node's 2^31 ms */
const MAX_RETRY_DELAY_MS = 7 * 24 * 3_600_000

export function csv (value: string): string[] {
  return value.split(/[\s,]+/).map((s) => s.trim()).filter((s) => s.length > 0)
}

// an empty variable counts as unset, as it does for every optional variable
export const optionalString = z.string().trim().optional().transform((v) => (v === '' ? undefined : v))

export const intFromEnv = (def: number, min: number, max: number) =>
  optionalString.pipe(z.string().regex(DIGITS, 'must be a whole number').optional())
    .transform((v) => (v === undefined ? def : Number(v)))
    .pipe(z.number().int().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`))

export function httpUrl (value: string): URL | null {
  try {
    const url = new URL(value)
    return url.protocol === 'http:' || url.protocol === 'https:' ? url : null
  } catch {
    return null
  }
}

export const origin = z.string().trim().transform((v, ctx) => {
  const url = httpUrl(v)
  if (!url || url.username || url.password) {
    ctx.addIssue({ code: 'custom', message: 'must be an http(s) URL' })
    return z.NEVER
  }
  return url
})

export const originUrl = (description: string) => origin.transform((url) => url.origin).describe(description)

/** delays between attempts: N delays = N+1 attempts */
export const retrySchedule = (defaults: string) => optionalString.transform((v, ctx) => {
  const given = csv(v ?? '')
  const delays = (given.length > 0 ? given : csv(defaults)).map((d) => parseDuration(d))
  if (delays.some((d) => d === null || d > MAX_RETRY_DELAY_MS)) {
    ctx.addIssue({ code: 'custom', message: 'must be a comma-separated list of durations such as 5s,5m,2h (units ms, s, m, h), each at most 7 days' })
    return z.NEVER
  }
  return delays as number[]
})

export const booleanFromEnv = (def: boolean) => optionalString.transform((v, ctx) => {
  if (v === undefined) return def
  if (v === 'true' || v === '1') return true
  if (v === 'false' || v === '0') return false
  ctx.addIssue({ code: 'custom', message: 'must be true or false' })
  return z.NEVER
})

/** how long before a token expires its notice is sent; 0 = no notices */
export const noticeDuration = (def: string) => optionalString.transform((v, ctx) => {
  const text = v ?? def
  const ms = text === '0' ? 0 : parseDuration(text, { days: true })
  if (ms === null || ms > 365 * 86_400_000) {
    ctx.addIssue({ code: 'custom', message: 'must be a duration such as 7d or 36h (units ms, s, m, h, d), at most a year, or 0' })
    return z.NEVER
  }
  return ms
})
