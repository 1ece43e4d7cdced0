export interface DialogUrlInput {
  dialogUrl: string
  graphVersion: string
  appId: string
  redirectUri: string
  state: string
  configId: string
  /** true for system-user (SUAT) configurations only */
  overrideDefaultResponseType: boolean
}

/**
 * Meta's login dialog for a Login for Business configuration. System-user (SUAT) configurations need the
 * code grant forced with `override_default_response_type=true`; sending it with a user-token configuration
 * is reported to break that flow, so it is added for those flows only.
 */
export function buildDialogUrl (input: DialogUrlInput): string {
  const url = new URL(`${input.dialogUrl}/${input.graphVersion}/dialog/oauth`)
  url.searchParams.set('client_id', input.appId)
  url.searchParams.set('redirect_uri', input.redirectUri)
  url.searchParams.set('state', input.state)
  url.searchParams.set('config_id', input.configId)
  url.searchParams.set('response_type', 'code')
  if (input.overrideDefaultResponseType) url.searchParams.set('override_default_response_type', 'true')
  return url.href
}
