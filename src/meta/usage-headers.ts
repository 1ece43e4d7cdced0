// How long Meta says a throttled caller must wait. Meta reports usage in `X-Business-Use-Case-Usage` (per business
// object, a list of `{type, call_count, total_cputime, total_time, estimated_time_to_regain_access}`) and
// `X-App-Usage`, where `estimated_time_to_regain_access` is in minutes
// (https://developers.facebook.com/docs/graph-api/overview/rate-limiting). Anything unreadable counts as no estimate.

const HEADERS = ['x-business-use-case-usage', 'x-app-usage', 'x-ad-account-usage']
/** an estimate beyond a day is not a plan: Meta's windows are at most an hour */
const MAX_MINUTES = 24 * 60

function minutesIn (value: unknown, depth = 0): number {
  if (depth > 4 || value === null || typeof value !== 'object') return 0
  let most = 0
  for (const [key, inner] of Object.entries(value)) {
    if (key === 'estimated_time_to_regain_access' && typeof inner === 'number' && Number.isFinite(inner)) most = Math.max(most, inner)
    else most = Math.max(most, minutesIn(inner, depth + 1))
  }
  return most
}

/** the longest `estimated_time_to_regain_access` among Meta's usage headers, in ms; undefined without one */
export function regainAccessMs (headers: Record<string, string | string[] | undefined>): number | undefined {
  let minutes = 0
  for (const name of HEADERS) {
    const raw = headers[name]
    const text = Array.isArray(raw) ? raw[0] : raw
    if (!text || text.length > 8192) continue
    try {
      minutes = Math.max(minutes, minutesIn(JSON.parse(text)))
    } catch {}
  }
  return minutes > 0 ? Math.min(minutes, MAX_MINUTES) * 60_000 : undefined
}
