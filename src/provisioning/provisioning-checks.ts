// One attempt of a session's provisioning: for each granted Page, its Page token and the app's subscription to
// its webhook fields; for each ad account concerned, its readiness. Every call is made (reads may be repeated);
// only the subscriptions an earlier attempt made are not made again. A failure that passes with time is reported
// as a failure too, so that the last attempt can stand as it is, and listed so that an earlier one is retried.
import type { Config } from '../config/config.js'
import { FLOWS } from '../flows/flows.js'
import { MetaCallError } from '../meta/meta-call-error.js'
import type { MetaClient } from '../meta/meta-client.js'
import type { AdAccountReport, ChosenSession, ProvisioningError, ProvisioningWarning } from '../store/records.js'
import type { DeliveredPage, ProvisioningReport } from '../webhooks/lifecycle-events.js'
import { adAccountReadiness, uncheckedAdAccount } from './readiness.js'

export interface ChecksDeps {
  meta: MetaClient
  config: Pick<Config, 'provisioning'>
}

export interface ChecksOutcome extends ProvisioningReport {
  /** the Pages subscribed, by this attempt or an earlier one */
  subscribed: string[]
  /** failures that pass with time: while the schedule lasts, the attempt is made again */
  passing: MetaCallError[]
}

/** Pages and ad accounts checked side by side, a few at a time: a business may grant hundreds of Pages */
const CONCURRENCY = 4

async function eachLimited<T, R> (items: readonly T[], run: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = []
  for (let i = 0; i < items.length; i += CONCURRENCY) results.push(...await Promise.all(items.slice(i, i + CONCURRENCY).map(run)))
  return results
}

/** Meta's refusal as the event reports it: the service's words and Meta's fields, never Meta's text (it may echo a token) */
export const provisioningError = (err: unknown): ProvisioningError => err instanceof MetaCallError
  ? { message: err.message, ...(err.meta ? { meta: err.meta } : {}) }
  : { message: 'The call to Meta failed' }

/** what a call came to: its answer, or Meta's failure (anything else, such as a bug, propagates) */
async function settled<T> (call: () => Promise<T>): Promise<{ ok: T } | { failed: MetaCallError }> {
  try {
    return { ok: await call() }
  } catch (err) {
    if (err instanceof MetaCallError) return { failed: err }
    throw err
  }
}

/** the ad accounts provisioning checks: each granted one (flows 1 and 2), or the partner's billed account (flow 3) */
function adAccountsOf (session: ChosenSession): Array<{ id: string; billing: boolean }> {
  const result = session.result!
  const billed = result.billing_ad_account_id
  if (FLOWS[session.flow].billing === 'partner') return billed ? [{ id: billed, billing: true }] : []
  return result.ad_account_ids.map((id) => ({ id, billing: id === billed }))
}

/**
 * Every check reported as failed without a call: the token outlived the retention (provisioning waited that
 * long), so nothing can be asked of Meta any more.
 */
export function uncheckedOutcome (config: ChecksDeps['config'], session: ChosenSession, message: string): ChecksOutcome {
  const o = config.provisioning
  const error = { message }
  const subscribing = o.subscribedFields.length > 0
  const pages: DeliveredPage[] = session.result!.page_ids.map((id) => ({
    id,
    subscribed_fields: [],
    subscription: subscribing ? 'failed' : 'skipped',
    ...(o.deliverPageTokens ? { page_access_token: null } : {}),
    error
  }))
  const warnings: ProvisioningWarning[] = pages.map((p) => ({ code: subscribing ? 'page_subscription_failed' : 'check_failed', asset_id: p.id, message }))
  const adAccounts = !o.readinessChecks ? [] : adAccountsOf(session).map(({ id, billing }) => uncheckedAdAccount(id, billing, error))
  for (const a of adAccounts) warnings.push(...a.warnings)
  return { pages, ad_accounts: adAccounts.map((a) => a.report), warnings, passing: [], subscribed: [] }
}

export async function runChecks (deps: ChecksDeps, session: ChosenSession, token: string, subscribedBefore: readonly string[]): Promise<ChecksOutcome> {
  const { meta, config: { provisioning: o } } = deps
  const passing: MetaCallError[] = []
  const warnings: ProvisioningWarning[] = []
  // throttled or transient: retried on the schedule. A 2xx without the field needed is a refusal here (docs/meta.md)
  const note = (failure: MetaCallError): void => { if (failure.kind !== 'permanent') passing.push(failure) }
  const subscribing = o.subscribedFields.length > 0

  const pages = await eachLimited(session.result!.page_ids, async (id): Promise<DeliveredPage> => {
    const alreadySubscribed = subscribedBefore.includes(id)
    const page: DeliveredPage = { id, subscribed_fields: [], subscription: subscribing ? 'failed' : 'skipped' }
    if (alreadySubscribed) Object.assign(page, { subscribed_fields: [...o.subscribedFields], subscription: 'subscribed' })
    if (!o.deliverPageTokens && (!subscribing || alreadySubscribed)) return page
    const pageToken = await settled(() => meta.pageAccessToken(token, id, meta.startBudget()))
    if ('failed' in pageToken) {
      note(pageToken.failed)
      const error = provisioningError(pageToken.failed)
      if (!alreadySubscribed && subscribing) warnings.push({ code: 'page_subscription_failed', asset_id: id, message: 'Meta did not give the Page token the subscription needs' })
      if (o.deliverPageTokens) {
        page.page_access_token = null
        warnings.push({ code: 'check_failed', asset_id: id, message: 'Meta did not give the Page token' })
      }
      return { ...page, error }
    }
    if (o.deliverPageTokens) page.page_access_token = pageToken.ok
    if (!subscribing || alreadySubscribed) return page
    const subscription = await settled(() => meta.subscribeApp(pageToken.ok, id, o.subscribedFields, meta.startBudget()))
    if ('failed' in subscription) {
      note(subscription.failed)
      warnings.push({ code: 'page_subscription_failed', asset_id: id, message: 'Meta refused to subscribe the app to the Page' })
      return { ...page, error: provisioningError(subscription.failed) }
    }
    return { ...page, subscribed_fields: [...o.subscribedFields], subscription: 'subscribed' }
  })

  const adAccounts: AdAccountReport[] = !o.readinessChecks
    ? []
    : await eachLimited(adAccountsOf(session), async ({ id, billing }) => {
      const info = await settled(() => meta.adAccount(token, id, meta.startBudget()))
      if ('failed' in info) note(info.failed)
      const checked = 'ok' in info ? adAccountReadiness(id, billing, info.ok, o.supportedCountries) : uncheckedAdAccount(id, billing, provisioningError(info.failed))
      warnings.push(...checked.warnings)
      return checked.report
    })

  // Pages first, then ad accounts, each in the order of the result: the same order on every attempt
  const order = [...session.result!.page_ids, ...adAccounts.map((a) => a.id)]
  warnings.sort((a, b) => order.indexOf(a.asset_id) - order.indexOf(b.asset_id))
  return { pages, ad_accounts: adAccounts, warnings, passing, subscribed: pages.filter((p) => p.subscription === 'subscribed').map((p) => p.id) }
}
