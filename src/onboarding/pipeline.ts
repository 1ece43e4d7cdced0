// exchange → keep the token sealed (while inspecting) → inspect → classify → follow-up → result. `exchangeCode` runs once per login
// (a code is single-use); `finishOnboarding` is everything after it and may run again from the start when a
// session is resumed: its calls only read, but for the long-lived exchange, whose result is kept with the token,
// and the asset connection, which is the last step. Throws an OnboardingFailure for every decided failure and an
// OnboardingInterrupted when Meta fails in a way that passes with time; anything else (the store not answering)
// propagates and the login stays as it was.
import type { Config } from '../config/config.js'
import { FLOWS, needsBusinessAdAccount } from '../flows/flows.js'
import { MetaCallError } from '../meta/meta-call-error.js'
import type { Budget, MetaClient } from '../meta/meta-client.js'
import type { HeldToken, TokenVault } from '../sessions/token-vault.js'
import type { ChosenSession, SessionResult } from '../store/records.js'
import { checkAssets, checkBusiness, checkPermissions, checkTokenKind, normalizeIds } from './classify.js'
import { OnboardingFailure } from './onboarding-failure.js'
import { OnboardingInterrupted } from './onboarding-interrupted.js'

export interface PipelineDeps {
  meta: MetaClient
  tokens: TokenVault
  config: Pick<Config, 'meta'>
  now: () => number
}

export interface OnboardingSuccess { result: SessionResult; accessToken: string }

/** what one run of the steps came to: decided, interrupted, or through */
export type StepsOutcome = OnboardingSuccess | OnboardingFailure | OnboardingInterrupted

/** runs the steps with their decided failures and interruptions as values; anything else (the store) propagates */
export async function outcomeOf (steps: () => Promise<OnboardingSuccess>): Promise<StepsOutcome> {
  try {
    return await steps()
  } catch (err) {
    if (err instanceof OnboardingFailure || err instanceof OnboardingInterrupted) return err
    throw err
  }
}

/** the permission each asset listing needs (Meta answers /me/accounts only to a token with pages_show_list) */
const LISTING_PERMISSION = { accounts: 'pages_show_list', adaccounts: 'ads_management' } as const

/** turns a Meta failure of one step into that step's failure, or into an interruption when it passes with time */
async function step<T> (code: 'token_invalid' | 'asset_connection_failed', message: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call()
  } catch (err) {
    if (!(err instanceof MetaCallError)) throw err
    if (err.passing) throw new OnboardingInterrupted(err)
    throw OnboardingFailure.fromMeta(err, code, message)
  }
}

/** a call started now and awaited later, perhaps never (a decision may end the login first): never unhandled */
function started<T> (call: Promise<T>): Promise<T> {
  call.catch(() => {})
  return call
}

/** a 2xx answer without the field the next step needs: Meta's fault, and it passes (it ends upstream_unavailable if it lasts) */
const missingField = (endpoint: 'me'): OnboardingInterrupted => new OnboardingInterrupted(new MetaCallError(endpoint, 'bad_response', 200))

/**
 * Step 1, once. The token is written to the store, sealed, at once; `kept` settles when it is in. The calls after
 * the exchange only read from Meta, so they need not wait for that write: the caller awaits `kept` before any
 * outcome is recorded, and a token Meta has issued is never left only in this process's memory.
 */
export async function exchangeCode (deps: PipelineDeps, session: ChosenSession, code: string, redirectUri: string | undefined): Promise<{ held: HeldToken; kept: Promise<void> }> {
  let exchanged
  try {
    exchanged = await deps.meta.exchangeCode(code, redirectUri)
  } catch (err) {
    if (!(err instanceof MetaCallError)) throw err
    const unavailable = err.reason !== 'http' || (err.status !== undefined && err.status >= 500)
    if (unavailable) throw OnboardingFailure.fromMeta(err, 'upstream_unavailable', '')
    throw new OnboardingFailure('code_exchange_failed', 'Meta refused the authorization code', err.meta ? { meta: err.meta } : {})
  }
  const held: HeldToken = { accessToken: exchanged.accessToken, longLived: false, expiresAt: null }
  return { held, kept: started(deps.tokens.keep(session.id, held)) }
}

async function listAssets (deps: PipelineDeps, kind: 'accounts' | 'adaccounts', token: string, budget: Budget): Promise<string[]> {
  try {
    return await deps.meta.listAssets(token, kind, budget)
  } catch (err) {
    // a listing refused for want of a permission is the admin's grant, not the token's fault
    if (err instanceof MetaCallError && err.permissionDenied) {
      const permission = LISTING_PERMISSION[kind]
      throw new OnboardingFailure('missing_permissions', `Meta refused to list the granted assets without ${permission}`, { missing_scopes: [permission], ...(err.meta ? { meta: err.meta } : {}) })
    }
    throw err
  }
}

/**
 * Step 4 of flow 3. A business that onboards again has the same system user, whose ad account may already be
 * connected; Meta documents no answer for a repeated connection (docs/meta.md). So when Meta refuses it, the
 * system user's assigned ad accounts are read: the partner's among them is the end the call was for, a success;
 * otherwise Meta's refusal stands and the session fails visibly with it.
 */
async function connectPartnerAccount (deps: PipelineDeps, systemUserId: string, token: string, accountId: string, budget: Budget): Promise<void> {
  try {
    await deps.meta.connectAsset(systemUserId, token, accountId, budget)
  } catch (err) {
    if (!(err instanceof MetaCallError) || err.passing) throw err
    const assigned = await deps.meta.assignedAdAccounts(systemUserId, token, budget).catch(() => [])
    if (!normalizeIds(assigned).includes(normalizeIds([accountId])[0]!)) throw err
  }
}

/** Steps 2–4. The calls that need only the token run side by side; the decisions are taken in the contract's order. */
export async function finishOnboarding (deps: PipelineDeps, session: ChosenSession, held: HeldToken): Promise<OnboardingSuccess> {
  const flow = FLOWS[session.flow]
  const { meta, tokens, config } = deps
  const token = held.accessToken
  const budget = meta.startBudget()
  const systemUser = flow.tokenType === 'system_user'
  const inspection = started(meta.debugToken(token, budget))
  const identity = started(meta.me(token, systemUser ? 'id,client_business_id' : 'id', budget))
  // flow 2's long-lived token is fetched beside the inspection and used only once the checks have passed
  const longLived = !systemUser && !held.longLived ? started(meta.exchangeLongLived(token, budget)) : null

  const info = await step('token_invalid', 'Meta could not inspect the token', () => inspection)
  if (!info.isValid) throw new OnboardingFailure('token_invalid', 'Meta reports the token as invalid')
  if (info.appId !== config.meta.appId) throw new OnboardingFailure('token_invalid', 'The token was issued to another app')
  checkTokenKind(flow, info)
  const me = await step('token_invalid', 'Meta refused to identify the token', () => identity)
  if (systemUser) checkBusiness(flow, me.clientBusinessId)
  if (me.id === null) throw missingField('me')

  // granular_scopes lists the granted assets; an entry without target_ids (Meta's own system-user example has
  // none) means they must be read with the token, and /me/accounts answers only with pages_show_list
  const pageTargets = info.targetIds.get('pages_messaging') ?? null
  const adTargets = needsBusinessAdAccount(flow) ? info.targetIds.get('ads_management') ?? null : []
  // pages_show_list is missing only where the Pages must be listed: a token without pages_messaging fails on that
  const listsPages = pageTargets === null && info.scopes.includes('pages_messaging')
  checkPermissions(flow, info.scopes, listsPages ? [LISTING_PERMISSION.accounts] : [])
  const [pages, adAccounts] = await step('token_invalid', 'Meta refused to list the granted assets', () => Promise.all([
    pageTargets ?? listAssets(deps, 'accounts', token, budget),
    adTargets ?? listAssets(deps, 'adaccounts', token, budget)
  ]))
  const pageIds = normalizeIds(pages)
  const adAccountIds = normalizeIds(adAccounts, 'act_')
  checkAssets(flow, pageIds, adAccountIds)

  let kept = held
  if (longLived) {
    const exchanged = await step('token_invalid', 'Meta refused to make the token long-lived', () => longLived)
    const expiresAt = exchanged.expiresIn !== null
      ? deps.now() + exchanged.expiresIn * 1000
      : (await step('token_invalid', 'Meta could not inspect the long-lived token', () => meta.debugToken(exchanged.accessToken, budget))).expiresAt * 1000
    kept = { accessToken: exchanged.accessToken, longLived: true, expiresAt: expiresAt > 0 ? expiresAt : null }
    // kept before anything else may fail: a resumed session goes on with this token, not the short-lived one
    await tokens.keep(session.id, kept)
  }
  let billingAdAccountId = adAccountIds.length === 1 ? adAccountIds[0]! : null
  if (flow.billing === 'partner') {
    const partnerAccount = config.meta.partnerAdAccountId!
    await step('asset_connection_failed', "Meta refused to connect the partner's ad account", () =>
      connectPartnerAccount(deps, me.id!, kept.accessToken, partnerAccount, budget))
    billingAdAccountId = `act_${partnerAccount}`
  }

  return {
    accessToken: kept.accessToken,
    result: {
      business_id: systemUser ? me.clientBusinessId : null,
      system_user_id: systemUser ? me.id : null,
      user_id: systemUser ? null : me.id,
      page_ids: pageIds,
      ad_account_ids: adAccountIds,
      billing_ad_account_id: billingAdAccountId,
      token_type: flow.tokenType,
      token_expires_at: !systemUser && kept.expiresAt !== null ? new Date(kept.expiresAt).toISOString() : null,
      scopes: [...new Set(info.scopes)].sort()
    }
  }
}
