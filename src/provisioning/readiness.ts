// What an ad account needs before Marketing Messages can be sent from it, read from Meta's answer: active, in a
// region tech providers may serve, with a payment method (Marketing Messages "get started", and the Ad Account
// reference for `account_status`: https://developers.facebook.com/docs/marketing-api/reference/ad-account/).
// Each gap is a warning: the onboarding itself stays completed.
import type { AdAccountInfo } from '../meta/meta-client.js'
import type { AdAccountReport, ProvisioningWarning } from '../store/records.js'

/** Meta's names of `account_status`, written in lower case as the event carries them */
export const ACCOUNT_STATUS: Readonly<Record<number, string>> = {
  1: 'active',
  2: 'disabled',
  3: 'unsettled',
  7: 'pending_risk_review',
  8: 'pending_settlement',
  9: 'in_grace_period',
  100: 'pending_closure',
  101: 'closed',
  201: 'any_active',
  202: 'any_closed'
}

const ACTIVE = 1

export function adAccountReadiness (id: string, billing: boolean, info: AdAccountInfo, supportedCountries: readonly string[]): { report: AdAccountReport; warnings: ProvisioningWarning[] } {
  const status = info.accountStatus === null ? 'unknown' : ACCOUNT_STATUS[info.accountStatus] ?? 'unknown'
  const country = info.businessCountryCode
  const regionSupported = country === null ? null : supportedCountries.includes(country)
  const warnings: ProvisioningWarning[] = []
  if (info.accountStatus !== ACTIVE) {
    const reason = info.disableReason ? ` (disable_reason ${info.disableReason})` : ''
    warnings.push({ code: 'ad_account_not_active', asset_id: id, message: `The ad account is ${status.toUpperCase()}${reason}: campaigns cannot run until it is active` })
  }
  if (regionSupported === false) {
    warnings.push({ code: 'ad_account_region_not_supported', asset_id: id, message: `The business is in ${country}, outside the regions whose businesses tech providers may serve (SUPPORTED_BUSINESS_COUNTRIES)` })
  }
  if (!info.hasPaymentMethod) {
    warnings.push({ code: 'ad_account_no_payment_method', asset_id: id, message: 'The ad account has no payment method: add one in Meta Business Suite, Billing and payments' })
  }
  return {
    report: {
      id,
      billing,
      account_status: info.accountStatus,
      status,
      business_country_code: country,
      region_supported: regionSupported,
      has_payment_method: info.hasPaymentMethod
    },
    warnings
  }
}

/** an ad account Meta would not describe: its fields unknown, the refusal kept */
export function uncheckedAdAccount (id: string, billing: boolean, error: AdAccountReport['error']): { report: AdAccountReport; warnings: ProvisioningWarning[] } {
  return {
    report: { id, billing, account_status: null, status: null, business_country_code: null, region_supported: null, has_payment_method: null, ...(error ? { error } : {}) },
    warnings: [{ code: 'check_failed', asset_id: id, message: `Meta did not answer the readiness check of the ad account${error ? `: ${error.message}` : ''}` }]
  }
}
