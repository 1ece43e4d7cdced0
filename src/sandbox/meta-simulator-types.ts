import type { DialogConfig } from './meta-simulator-login.js'

// The public vocabulary of the simulated Meta, kept apart so every concern file can share it without cycles.

export interface SimulatedGrant {
  /** system_user: a never-expiring BISU/SUAT token (flows 1 and 3); user: an expiring user token (flow 2). */
  kind: 'system_user' | 'user'
  /** debug_token `scopes`. */
  scopes: string[]
  /** Page IDs, digits. */
  pageIds: string[]
  /** Ad account IDs, digits without `act_`. */
  adAccountIds: string[]
  /** Default true. false mimics Meta's system-user example: granular_scopes without target_ids. */
  targetIds?: boolean
  /** Default: the simulator's app id. Another value simulates a token issued to another app. */
  appId?: string
  /** Default true. */
  isValid?: boolean
  /** client_business_id of a system_user token; default a generated 16-digit id. */
  businessId?: string
  /** /me id; default a generated 15-digit id. */
  userId?: string
}

export interface MetaSimulatorOptions {
  appId: string
  appSecret: string
  /** Default 127.0.0.1. */
  host?: string
  /** Default 0: a free port. */
  port?: number
  /** Added to every answer; default 0. */
  latencyMs?: number
  /** What each Login for Business configuration asks for on the dialog page, by config_id; others ask what flow 1 asks. */
  dialogConfigs?: Record<string, DialogConfig>
  /** Sees (and may change) the grant a person approved on the dialog page, or sends the browser back without a code. */
  beforeApproval?: (grant: SimulatedGrant, configId: string) => SimulatedGrant | DialogMisanswer
  /**
   * The app's Valid OAuth Redirect URIs: the dialog refuses any other, byte for byte. More can be registered
   * with `registerRedirectUri`. None = a simulator used alone, which takes any absolute http(s) URI.
   */
  redirectUris?: string[]
  /**
   * How long an authorization code can be exchanged, in ms. Default 30 s: Meta documents a 30-second life for
   * Embedded Signup codes and Login for Business codes are single-use and short-lived (docs/meta.md,
   * https://developers.facebook.com/documentation/business-messaging/whatsapp/embedded-signup/implementation).
   */
  codeLifetimeMs?: number
  /** Clock in epoch milliseconds; default Date.now. Lets tests expire tokens or skew appsecret_time without sleeping. */
  now?: () => number
}

/**
 * What the dialog may send back instead of a code: an OAuth error (`error=server_error`), Meta's "App Not Setup"
 * (`error_code=1349126` and `error_message`, no `error`), or the state alone.
 */
export type DialogMisanswer = 'login_error' | 'app_not_setup' | 'no_code'

export type SimulatedEndpoint =
  | 'exchange'
  | 'long_lived'
  | 'debug_token'
  | 'me'
  | 'accounts'
  | 'adaccounts'
  | 'asset_connections'
  | 'assigned_ad_accounts'
  | 'dialog'
  // provisioning after an onboarding (docs/meta.md, "Provisioning: Pages and ad accounts")
  | 'page_token'
  | 'subscribed_apps'
  | 'ad_account'

/** What an ad account answers about its readiness (Marketing API, Ad Account reference); unset fields keep their value */
export interface SimulatedAdAccount {
  /** `account_status`: 1 ACTIVE, 2 DISABLED, 3 UNSETTLED, …; default 1 */
  accountStatus?: number
  /** `disable_reason`: 0 NONE, 1 ADS_INTEGRITY_POLICY, …; default 0 */
  disableReason?: number
  /** `business_country_code`, ISO 3166 alpha-2; null: Meta gives none (the key is left out); default US */
  businessCountryCode?: string | null
  /** whether `funding_source_details` is there (a payment method); default true */
  paymentMethod?: boolean
}

export interface GraphErrorSpec {
  code: number
  error_subcode?: number
  type?: string
  message?: string
  is_transient?: boolean
}

export type Failure =
  | { status: number; graphError?: GraphErrorSpec; headers?: Record<string, string> }
  | { delayMs: number }
  | { drop: true }

export interface RecordedCall {
  /** 'other' marks requests that are none of Meta's endpoints: unknown paths and the dialog's decision links. */
  endpoint: SimulatedEndpoint | 'other'
  method: string
  path: string
  query: Record<string, string>
  headers: Record<string, string | string[] | undefined>
  form?: Record<string, string>
}
