// The events that follow a completed onboarding (openapi.yaml, `webhooks`): the business made ready to send
// (provisioning), the notices of a flow 2 token's expiry, and a revocation. Serialised once, like the outcome's.
import type { AdAccountReport, NoticeKind, PageReport, ProvisioningWarning, SessionRecord } from '../store/records.js'
import { event, subject, type WebhookEvent } from './events.js'

/** a page as the event carries it: with the Page token when DELIVER_PAGE_TOKENS asks for it */
export type DeliveredPage = PageReport & { page_access_token?: string | null }

export interface ProvisioningReport {
  pages: DeliveredPage[]
  ad_accounts: AdAccountReport[]
  warnings: ProvisioningWarning[]
}

export function provisionedEvent (session: SessionRecord, report: ProvisioningReport, now: number): WebhookEvent {
  return event('onboarding.provisioned', {
    ...subject(session),
    business_id: session.result?.business_id ?? null,
    ready: report.warnings.length === 0,
    pages: report.pages,
    ad_accounts: report.ad_accounts,
    warnings: report.warnings
  }, now, session.id)
}

const NOTICE_TYPES = { expiring: 'onboarding.token_expiring', expired: 'onboarding.token_expired' } as const

export function noticeEvent (kind: NoticeKind, session: SessionRecord, now: number): WebhookEvent {
  return event(NOTICE_TYPES[kind], {
    ...subject(session),
    user_id: session.result?.user_id ?? null,
    page_ids: session.result?.page_ids ?? [],
    ad_account_ids: session.result?.ad_account_ids ?? [],
    token_expires_at: session.result?.token_expires_at ?? null
  }, now, session.id)
}

export type RevocationReason = 'business_integration_uninstall' | 'deauthorized'

export function revokedEvent (session: SessionRecord, reason: RevocationReason, revokedAt: string, now: number): WebhookEvent {
  return event('onboarding.revoked', {
    ...subject(session),
    business_id: session.result?.business_id ?? null,
    user_id: session.result?.user_id ?? null,
    reason,
    revoked_at: revokedAt
  }, now, session.id)
}
