// Shared by the expiry notice tests: a flow 2 onboarding whose long-lived token expires in seconds, and the
// notices the partner's receiver got for one session.
import { GRANTS, onboard, type Harness, type ReceivedEvent } from '../helper.js'

export const NOTICES = ['onboarding.token_expiring', 'onboarding.token_expired']
export const noticesOf = (events: ReceivedEvent[], sessionId: string) =>
  events.filter((e) => NOTICES.includes(e.type) && e.body.data.session_id === sessionId)

/** a flow 2 onboarding whose long-lived token lasts `lifetimeS` seconds */
export async function assetBased (h: Harness, lifetimeS: number, body: Record<string, unknown> = {}, grant = GRANTS.asset_based) {
  h.sim.setLongLivedLifetime(lifetimeS)
  const { session } = await onboard(h, 'asset_based', grant, body)
  const stored = await h.stores.sessions.getSession(session.id)
  if (stored?.status !== 'completed') throw new Error(`the onboarding did not complete: ${JSON.stringify(stored?.error)}`)
  return { id: session.id as string, expiresAt: Date.parse(stored.result!.token_expires_at!) }
}
