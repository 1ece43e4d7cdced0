// The login dialog: what the service must put in the dialog URL, and where Meta sends the browser back.
import type { DialogMisanswer, SimulatedGrant } from './meta-simulator-types.js'

export const DIALOG_PATH = /^\/v\d+\.\d+\/dialog\/oauth$/
export const DECIDE_PATH = '/__sim/dialog/decide'

export interface DialogRequest {
  redirectUri: string
  state: string
}

/** what the simulated app's configuration lets through, as the App Dashboard would have it */
export interface DialogRules {
  appId: string
  /** the app's Valid OAuth Redirect URIs; none registered = a simulator used alone, which takes any http(s) URI */
  redirectUris: ReadonlySet<string>
  /** the token kind of a Login for Business configuration the simulator was told about, by config_id */
  configKind: (configId: string) => SimulatedGrant['kind'] | undefined
}

export function parseDialogUrl (dialogUrl: string, rules: DialogRules): DialogRequest {
  let url: URL
  try {
    url = new URL(dialogUrl)
  } catch {
    throw new Error(`dialog URL is not an absolute URL: ${dialogUrl}`)
  }
  if (!DIALOG_PATH.test(url.pathname)) {
    throw new Error(`dialog URL path must be /vNN.N/dialog/oauth, got ${url.pathname}`)
  }
  return checkDialogParams(url.searchParams, rules)
}

// Meta refuses a dialog missing any of these, and shows its own page instead of redirecting: a redirect_uri
// it does not trust is never followed. A FL4B SUAT configuration also needs response_type=code.
export function checkDialogParams (params: URLSearchParams, rules: DialogRules): DialogRequest {
  const clientId = params.get('client_id')
  if (clientId !== rules.appId) throw new Error(`dialog URL client_id is ${JSON.stringify(clientId)}, expected the app id ${JSON.stringify(rules.appId)}`)
  const redirectUri = params.get('redirect_uri')
  if (redirectUri === null || redirectUri === '') throw new Error('dialog URL has no redirect_uri')
  let parsed: URL | undefined
  try {
    parsed = new URL(redirectUri)
  } catch {}
  if (parsed === undefined || (parsed.protocol !== 'https:' && parsed.protocol !== 'http:')) {
    throw new Error(`dialog URL redirect_uri is not an absolute http(s) URL: ${redirectUri}`)
  }
  // Strict Mode, required for all apps: "The full URI must be an exact match, including all parameters, with the
  // exception of the optional state parameter" (https://developers.facebook.com/documentation/facebook-login/security).
  // The wording of the refusal is the one third-party code quotes (docs/meta.md).
  if (rules.redirectUris.size > 0 && !rules.redirectUris.has(redirectUri)) {
    throw new Error(`Invalid redirect_uri: Given URL is not allowed by the Application configuration. (${redirectUri} is not one of the app's Valid OAuth Redirect URIs, byte for byte)`)
  }
  const configId = params.get('config_id') ?? ''
  if (configId === '') throw new Error('dialog URL has no config_id')
  const state = params.get('state')
  if (state === null || state === '') throw new Error('dialog URL has no state')
  const responseType = params.get('response_type')
  if (responseType !== 'code') throw new Error(`dialog URL response_type is ${JSON.stringify(responseType)}, expected "code"`)
  // "SUAT's require the authorization code grant type": a system-user configuration needs response_type=code and
  // override_default_response_type=true (Facebook Login for Business,
  // https://developers.facebook.com/documentation/facebook-login/facebook-login-for-business, and the onboarding
  // guide, https://developers.facebook.com/documentation/business-messaging/messenger-platform/marketing-messages-on-messenger/onboard-businesses).
  // UNCONFIRMED: what the real dialog does without it. Its troubleshooting lists an error "…set up with incorrect
  // response_type"; whether that is a page or a redirect is not documented, so the simulator shows a page and
  // never sends the browser back: the login visibly goes nowhere, as a SUAT dialog on a phone does.
  if (rules.configKind(configId) === 'system_user' && params.get('override_default_response_type') !== 'true') {
    throw new Error('This configuration is set up with incorrect response_type: a system user access token configuration needs response_type=code and override_default_response_type=true')
  }
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

// Meta's own words, as public reports quote the dialog's page (github.com/puneetkay/Facebook-PHP-CodeIgniter/issues/2,
// github.com/nate-strauser/wework/issues/11); the redirect with error_code 1349126 and no `error` is in
// ServiceStack PR 917 (docs/meta.md).
export const APP_NOT_SETUP = 'App Not Setup: The developers of this app have not set up this app properly for Facebook Login.'

/** the redirect back without a code: an OAuth error, an `error_code` alone (docs/meta.md), or the state alone */
export function misanswerUrl (request: DialogRequest, kind: DialogMisanswer): string {
  const state = new URLSearchParams({ state: request.state }).toString()
  switch (kind) {
    case 'login_error': return withQuery(request.redirectUri, `error=server_error&error_reason=sandbox&error_description=Simulated+Meta+error&${state}`)
    case 'app_not_setup': return withQuery(request.redirectUri, `${new URLSearchParams({ error_code: '1349126', error_message: APP_NOT_SETUP })}&${state}`)
    // what the server sees of a dialog that answered with a token in the URL fragment (docs/meta.md)
    case 'no_code': return withQuery(request.redirectUri, state)
  }
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
