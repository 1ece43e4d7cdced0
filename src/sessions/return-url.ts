// return_url is the one place a browser is sent that the partner chooses: it must sit on an allowed origin,
// exactly, so that no route can be turned into an open redirect.

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]'])

export function isAllowedReturnUrl (value: string, allowedOrigins: readonly string[]): boolean {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    return false
  }
  if (url.username !== '' || url.password !== '') return false
  const secure = url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK.has(url.hostname))
  return secure && allowedOrigins.includes(url.origin)
}

/** the outcome parameters appended to the partner's own query */
export function returnUrlWithOutcome (returnUrl: string, outcome: Record<string, string>): string {
  const url = new URL(returnUrl)
  for (const [key, value] of Object.entries(outcome)) url.searchParams.append(key, value)
  return url.href
}
