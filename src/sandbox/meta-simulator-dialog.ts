// The login dialog: what the service must put in the dialog URL, and where Meta sends the browser back.

export const DIALOG_PATH = /^\/v\d+\.\d+\/dialog\/oauth$/
export const DECIDE_PATH = '/__sim/dialog/decide'

export interface DialogRequest {
  redirectUri: string
  state: string
}

export function parseDialogUrl (dialogUrl: string, appId: string): DialogRequest {
  let url: URL
  try {
    url = new URL(dialogUrl)
  } catch {
    throw new Error(`dialog URL is not an absolute URL: ${dialogUrl}`)
  }
  if (!DIALOG_PATH.test(url.pathname)) {
    throw new Error(`dialog URL path must be /vNN.N/dialog/oauth, got ${url.pathname}`)
  }
  return checkDialogParams(url.searchParams, appId)
}

// Meta refuses a dialog missing any of these; a FL4B SUAT configuration also needs response_type=code.
export function checkDialogParams (params: URLSearchParams, appId: string): DialogRequest {
  const clientId = params.get('client_id')
  if (clientId !== appId) throw new Error(`dialog URL client_id is ${JSON.stringify(clientId)}, expected the app id ${JSON.stringify(appId)}`)
  const redirectUri = params.get('redirect_uri')
  if (redirectUri === null || redirectUri === '') throw new Error('dialog URL has no redirect_uri')
  let parsed: URL | undefined
  try {
    parsed = new URL(redirectUri)
  } catch {}
  if (parsed === undefined || (parsed.protocol !== 'https:' && parsed.protocol !== 'http:')) {
    throw new Error(`dialog URL redirect_uri is not an absolute http(s) URL: ${redirectUri}`)
  }
  if ((params.get('config_id') ?? '') === '') throw new Error('dialog URL has no config_id')
  const state = params.get('state')
  if (state === null || state === '') throw new Error('dialog URL has no state')
  const responseType = params.get('response_type')
  if (responseType !== 'code') throw new Error(`dialog URL response_type is ${JSON.stringify(responseType)}, expected "code"`)
  return { redirectUri, state }
}

// The redirect URI may already carry a query; Meta appends its parameters to it.
export function withQuery (redirectUri: string, query: string): string {
  return redirectUri + (redirectUri.includes('?') ? '&' : '?') + query
}

export function approvalUrl (request: DialogRequest, code: string): string {
  return withQuery(request.redirectUri, `code=${encodeURIComponent(code)}&state=${encodeURIComponent(request.state)}`)
}

export function denialUrl (request: DialogRequest): string {
  return withQuery(request.redirectUri,
    'error=access_denied&error_code=200&error_description=Permissions+error.&error_reason=user_denied' +
    `&state=${encodeURIComponent(request.state)}`)
}

function escapeHtml (text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
}

/** The page a browser sees for a dialog URL that Meta would refuse: what is wrong, and no way forward. */
export function dialogErrorPage (params: URLSearchParams, problem: string): string {
  const rows = [...params].map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`).join('')
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Simulated Facebook Login for Business</title></head>
<body><h1>Simulated Facebook Login for Business</h1>
<p role="alert">${escapeHtml(problem)}</p>
<table>${rows}</table>
</body></html>
`
}
