// The login dialog as Meta serves it to a browser: the dialog URL checked as Meta checks it (the app, its
// registered redirect URIs, the configuration's response type), the two pages a person clicks through, and the
// decision that sends the browser back with a code, an error, or, when asked, without either.
import { DECIDE_PATH, approvalUrl, checkDialogParams, denialUrl, dialogErrorPage, misanswerUrl, parseDialogUrl } from './meta-simulator-dialog.js'
import type { DialogRequest, DialogRules } from './meta-simulator-dialog.js'
import { DEFAULT_DIALOG_CONFIG, assetsPage, continueAsPage, grantFromSelection } from './meta-simulator-login.js'
import type { DialogConfig } from './meta-simulator-login.js'
import type { SimRequest } from './meta-simulator-graph.js'
import { html, redirect, type SimResponse } from './meta-simulator-http.js'
import type { MetaSimulatorOptions, SimulatedGrant } from './meta-simulator-types.js'

export interface DialogEndpointsOptions {
  appId: string
  dialogConfigs: Record<string, DialogConfig>
  redirectUris: string[]
  beforeApproval: MetaSimulatorOptions['beforeApproval']
  issueCode: (grant: SimulatedGrant, redirectUri: string) => string
}

export class DialogEndpoints {
  readonly #redirectUris: Set<string>
  readonly rules: DialogRules

  constructor (private readonly o: DialogEndpointsOptions) {
    this.#redirectUris = new Set(o.redirectUris)
    this.rules = { appId: o.appId, redirectUris: this.#redirectUris, configKind: (id) => o.dialogConfigs[id]?.kind }
  }

  /** an entry of the App Dashboard's Valid OAuth Redirect URIs */
  registerRedirectUri (uri: string): void { this.#redirectUris.add(uri) }

  /** a dialog URL as the dialog would take it, or an Error saying why Meta would refuse it */
  parse (dialogUrl: string): DialogRequest { return parseDialogUrl(dialogUrl, this.rules) }

  /** a configuration the simulator was not told about asks for what flow 1 asks */
  #config (params: URLSearchParams): DialogConfig {
    return this.o.dialogConfigs[params.get('config_id') ?? ''] ?? DEFAULT_DIALOG_CONFIG
  }

  page (req: SimRequest, step: 'continue' | 'assets'): SimResponse {
    const params = new URLSearchParams(req.query)
    try {
      checkDialogParams(params, this.rules)
    } catch (err) {
      return html(400, dialogErrorPage(params, (err as Error).message))
    }
    const render = step === 'continue' ? continueAsPage : assetsPage
    return html(200, render(params, params.toString(), this.#config(params), DECIDE_PATH))
  }

  decide (req: SimRequest): SimResponse {
    const params = new URLSearchParams(req.query)
    const decision = params.get('decision')
    params.delete('decision')
    let request
    try {
      request = checkDialogParams(params, this.rules)
    } catch (err) {
      return html(400, dialogErrorPage(params, (err as Error).message))
    }
    if (decision === 'deny') return redirect(denialUrl(request))
    const selected = grantFromSelection(req.query, this.#config(params))
    const grant = this.o.beforeApproval ? this.o.beforeApproval(selected, params.get('config_id') ?? '') : selected
    if (typeof grant === 'string') return redirect(misanswerUrl(request, grant))
    return redirect(approvalUrl(request, this.o.issueCode(grant, request.redirectUri)))
  }
}
