// What the sandbox can make the simulated Meta do wrong on the next login, so a person can watch the
// service handle it: each choice applies once, to the next approval on the dialog, then resets.
import { DEFAULT_AD_ACCOUNT } from './meta-simulator-ad-accounts.js'
import type { DialogMisanswer, Failure, MetaSimulator, SimulatedAdAccount, SimulatedGrant } from './meta-simulator.js'

export const MISBEHAVIOURS = {
  none: 'Nothing: Meta behaves',
  missing_permission: 'The admin grants one permission too few (missing_permissions)',
  wrong_app: 'Meta returns a token issued to another app (token_invalid)',
  meta_5xx_once: 'Meta answers debug_token with a 500 once (retried, then completed)',
  meta_5xx: 'Meta answers debug_token with 500s until the in-request retries run out (processing, then completed)',
  throttled: 'Meta throttles /me for a minute, as a business use case limit (processing, then completed after Meta\'s estimate)',
  login_error: 'Meta ends the login with an error instead of a code (login_error)',
  app_not_setup: 'Meta answers "App Not Setup": error_code 1349126 and its message, without error (login_error)',
  empty_redirect: 'Meta sends the browser back with the state only: no code, no error (login_error, no_code)',
  ad_account_disabled: 'The ad accounts (and the partner\'s billed account) are DISABLED for an integrity policy (provisioned, ad_account_not_active)',
  ad_account_region: 'The ad accounts\' business is in Germany, outside the served regions (provisioned, ad_account_region_not_supported)',
  ad_account_no_payment: 'The ad accounts have no payment method (provisioned, ad_account_no_payment_method)',
  page_subscription_refused: 'Meta refuses the next Page subscription with a permission error (provisioned, page_subscription_failed)'
} as const

export type Misbehaviour = keyof typeof MISBEHAVIOURS

export const isMisbehaviour = (value: unknown): value is Misbehaviour => typeof value === 'string' && value in MISBEHAVIOURS

/** the permissions whose absence each flow's check names first */
const MARKETING_SCOPES = ['paid_marketing_messages', 'marketing_messages_messenger']

/** what each ad account misbehaviour makes the accounts answer (disable_reason 1: ADS_INTEGRITY_POLICY, Ad Account reference) */
const AD_ACCOUNT_STATES: Partial<Record<Misbehaviour, SimulatedAdAccount>> = {
  ad_account_disabled: { accountStatus: 2, disableReason: 1 },
  ad_account_region: { businessCountryCode: 'DE' },
  ad_account_no_payment: { paymentMethod: false }
}

/** Meta's refusal of a messaging field without pages_messaging, in the wording public records of its answers quote (docs/meta.md) */
const SUBSCRIPTION_REFUSED: Failure = {
  status: 403,
  graphError: { code: 200, message: '(#200) To subscribe to the messages field, one of these permissions is needed: pages_messaging' }
}

export class MisbehaviourSwitch {
  #next: Misbehaviour = 'none'
  /** the ad accounts the last approval's misbehaviour changed: the next approval finds them as they were */
  #changed: string[] = []

  /**
   * The simulator's `failNext`, `throttle` and `setAdAccount`, passed as functions because the simulator is built
   * with this switch, and flow 3's billed account (PARTNER_AD_ACCOUNT_ID), which the ad account misbehaviours change too.
   */
  constructor (
    private readonly failNext: MetaSimulator['failNext'],
    private readonly throttle: MetaSimulator['throttle'],
    private readonly setAdAccount: MetaSimulator['setAdAccount'],
    private readonly partnerAdAccountId?: string
  ) {}

  get next (): Misbehaviour { return this.#next }
  set (value: Misbehaviour): void { this.#next = value }

  /** the simulator's beforeApproval hook */
  apply = (grant: SimulatedGrant): SimulatedGrant | DialogMisanswer => {
    const mode = this.#next
    this.#next = 'none'
    for (const id of this.#changed.splice(0)) this.setAdAccount(id, DEFAULT_AD_ACCOUNT)
    const adAccountState = AD_ACCOUNT_STATES[mode]
    if (adAccountState !== undefined) {
      this.#changed = [...new Set([...grant.adAccountIds, ...(this.partnerAdAccountId === undefined ? [] : [this.partnerAdAccountId])])]
      for (const id of this.#changed) this.setAdAccount(id, adAccountState)
      return grant
    }
    switch (mode) {
      case 'missing_permission': return { ...grant, scopes: grant.scopes.filter((s) => !MARKETING_SCOPES.includes(s)) }
      case 'wrong_app': return { ...grant, appId: '999999999999999' }
      case 'meta_5xx_once': this.failNext('debug_token', { status: 500 }); return grant
      case 'meta_5xx': this.failNext('debug_token', { status: 500 }, 3); return grant
      case 'throttled': this.throttle('me', 60_000); return grant
      case 'login_error': return 'login_error'
      case 'app_not_setup': return 'app_not_setup'
      case 'empty_redirect': return 'no_code'
      case 'page_subscription_refused': this.failNext('subscribed_apps', SUBSCRIPTION_REFUSED); return grant
      default: return grant
    }
  }
}
