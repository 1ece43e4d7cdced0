// The small pieces the partner stand-in's pages are written with: values escaped, tokens masked, moments in words.
import { escapeHtml } from '../http/html.js'

/** the start and end of a token, enough to tell two apart, never enough to use one */
export const mask = (token: unknown): string => typeof token === 'string' && token.length > 10 ? `${token.slice(0, 6)}…${token.slice(-4)} (${token.length} characters)` : '—'

/** `access_token`, `page_access_token`: any field an event names a token by (not `token_type` or `token_expires_at`) */
const isTokenField = (key: string): boolean => /(^|_)token$/.test(key)

/** a copy of `value` with every token field masked, however deep: what a page may show of an event's JSON */
export function masked (value: unknown): unknown {
  if (Array.isArray(value)) return value.map(masked)
  if (value === null || typeof value !== 'object') return value
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, isTokenField(k) && typeof v === 'string' ? mask(v) : masked(v)]))
}

export const list = (value: unknown): string => Array.isArray(value) && value.length > 0 ? value.map((v) => `<code>${escapeHtml(String(v))}</code>`).join(', ') : '—'

/** a value as code: a string as it is, anything else as its JSON, tokens masked */
export const code = (value: unknown): string => `<code>${escapeHtml(typeof value === 'string' ? value : JSON.stringify(masked(value ?? null)))}</code>`

function span (ms: number): string {
  const s = Math.round(ms / 1000)
  if (s < 120) return `${s} second${s === 1 ? '' : 's'}`
  const m = Math.round(s / 60)
  if (m < 120) return `${m} minutes`
  const h = Math.round(m / 60)
  return h < 48 ? `${h} hours` : `${Math.round(h / 24)} days`
}

/** how far an ISO moment is from now, e.g. `in 59 seconds` or `3 minutes ago` ('' when it is no moment) */
export function fromNow (iso: unknown, nowMs: number): string {
  const at = typeof iso === 'string' ? Date.parse(iso) : NaN
  if (Number.isNaN(at)) return ''
  return at >= nowMs ? `in ${span(at - nowMs)}` : `${span(nowMs - at)} ago`
}

/** an ISO moment and how far it is from now, e.g. `2026-05-01T12:00:00.000Z (in 59 seconds)`, escaped */
export const when = (iso: unknown, nowMs: number): string => {
  const distance = fromNow(iso, nowMs)
  return distance === '' ? '—' : escapeHtml(`${String(iso)} (${distance})`)
}
