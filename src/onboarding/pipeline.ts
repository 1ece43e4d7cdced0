// exchange → keep the token sealed → inspect → classify → follow-up → result. Throws an OnboardingFailure for
// every decided failure; anything else (the store not answering) propagates and the login stays pending.
import type { Config } from '../config/config.js'
import { FLOWS, needsBusinessAdAccount, type FlowDefinition } from '../flows/flows.js'
import { MetaCallError } from '../meta/meta-call-error.js'
import type { Budget, MetaClient, TokenInfo } from '../meta/meta-client.js'
import type { TokenVault } from '../sessions/token-vault.js'
import type { ChosenSession, SessionResult } from '../store/records.js'
import { checkAssets, checkBusiness, checkPermissions, checkTokenKind, normalizeIds } from './classify.js'
import { OnboardingFailure } from './onboarding-failure.js'

export interface PipelineDeps {
  meta: MetaClient
  tokens: TokenVault
  config: Pick<Config, 'meta'>
  now: () => number
}

export interface OnboardingSuccess { result: SessionResult; accessToken: string }

/** turns a Meta failure of one step into the failure code of that step */
async function step<T> (code: 'token_invalid' | 'asset_connection_failed', message: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call()
  } catch (err) {
    if (err instanceof MetaCallError) throw OnboardingFailure.fromMeta(err, code, message)
    throw err
  }
}

async function exchange (deps: PipelineDeps, code: string, redirectUri: string | undefined) {
  try {
    return await deps.meta.exchangeCode(code, redirectUri)
  } catch (err) {
    if (!(err instanceof MetaCallError)) throw err
    const unavailable = err.reason !== 'http' || (err.status !== undefined && err.status >= 500)
    if (unavailable) throw OnboardingFailure.fromMeta(err, 'upstream_unavailable', '')
    throw new OnboardingFailure('code_exchange_failed', 'Meta refused the authorization code', err.meta ? { meta: err.meta } : {})
  }
}

async function grantedAssets (deps: PipelineDeps, flow: FlowDefinition, token: string, info: TokenInfo, budget: Budget) {
  // Meta lists granted assets in granular_scopes; where an entry has no target_ids (Meta's own system-user
  // example has none), they are read with the token instead
  const pages = info.targetIds.get('pages_messaging') ??
    await step('token_invalid', 'Meta refused to list the granted Pages', () => deps.meta.listAssets(token, 'accounts', budget))
  const adAccounts = info.targetIds.get('ads_management') ?? (needsBusinessAdAccount(flow)
    ? await step('token_invalid', 'Meta refused to list the granted ad accounts', () => deps.meta.listAssets(token, 'adaccounts', budget))
    : [])
  return { pageIds: normalizeIds(pages), adAccountIds: normalizeIds(adAccounts, 'act_') }
}

export async function runOnboarding (deps: PipelineDeps, session: ChosenSession, code: string, redirectUri: string | undefined): Promise<OnboardingSuccess> {
  const flow = FLOWS[session.flow]
  const { meta, tokens, config } = deps
  const exchanged = await exchange(deps, code, redirectUri)
  let token = exchanged.accessToken
  // the token is in the store, sealed, before any further step
  await tokens.keep(session.id, token)

  const budget = meta.startBudget()
  const info = await step('token_invalid', 'Meta could not inspect the token', () => meta.debugToken(token, budget))
  if (!info.isValid) throw new OnboardingFailure('token_invalid', 'Meta reports the token as invalid')
  if (info.appId !== config.meta.appId) throw new OnboardingFailure('token_invalid', 'The token was issued to another app')

  checkTokenKind(flow, info)
  let systemUserId: string | null = null
  let businessId: string | null = null
  if (flow.tokenType === 'system_user') {
    const me = await step('token_invalid', 'Meta refused to identify the token', () => meta.me(token, 'id,client_business_id', budget))
    checkBusiness(flow, me.clientBusinessId)
    if (me.id === null) throw new OnboardingFailure('upstream_unavailable', 'Meta did not return the system user ID')
    systemUserId = me.id
    businessId = me.clientBusinessId
  }
  checkPermissions(flow, info.scopes)
  const { pageIds, adAccountIds } = await grantedAssets(deps, flow, token, info, budget)
  checkAssets(flow, pageIds, adAccountIds)

  let userId: string | null = null
  let tokenExpiresAt: string | null = null
  let billingAdAccountId = adAccountIds.length === 1 ? adAccountIds[0]! : null
  if (flow.tokenType === 'user') {
    const longLived = await step('token_invalid', 'Meta refused to make the token long-lived', () => meta.exchangeLongLived(token, budget))
    token = longLived.accessToken
    await tokens.keep(session.id, token)
    const expiresAt = longLived.expiresIn !== null
      ? deps.now() + longLived.expiresIn * 1000
      : (await step('token_invalid', 'Meta could not inspect the long-lived token', () => meta.debugToken(token, budget))).expiresAt * 1000
    tokenExpiresAt = expiresAt > 0 ? new Date(expiresAt).toISOString() : null
    const me = await step('token_invalid', 'Meta refused to identify the token', () => meta.me(token, 'id', budget))
    if (me.id === null) throw new OnboardingFailure('upstream_unavailable', 'Meta did not return the user ID')
    userId = me.id
  }
  if (flow.billing === 'partner') {
    const partnerAccount = config.meta.partnerAdAccountId!
    await step('asset_connection_failed', "Meta refused to connect the partner's ad account", () =>
      meta.connectAsset(systemUserId!, token, partnerAccount, budget))
    billingAdAccountId = `act_${partnerAccount}`
  }

  return {
    accessToken: token,
    result: {
      business_id: businessId,
      system_user_id: systemUserId,
      user_id: userId,
      page_ids: pageIds,
      ad_account_ids: adAccountIds,
      billing_ad_account_id: billingAdAccountId,
      token_type: flow.tokenType,
      token_expires_at: tokenExpiresAt,
      scopes: [...new Set(info.scopes)].sort()
    }
  }
}
