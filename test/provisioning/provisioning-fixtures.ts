// Shared by the provisioning tests: an onboarding with provisioning on (the harness turns it off elsewhere), and
// the events the partner's receiver got for one session.
import type { FlowName } from '../../src/flows/flows.js'
import type { SimulatedGrant } from '../../src/sandbox/meta-simulator.js'
import { auth, build, GRANTS, onboard, type Harness, type HarnessOptions, type ReceivedEvent } from '../helper.js'
import type { Test } from 'tap'

/** provisioning as configured by default: readiness checks on, no Page subscription, no Page tokens */
export const DEFAULTS = { READINESS_CHECKS: undefined }
export const FIELDS = 'messages,messaging_optins'

export async function provisioningHarness (t: Test, env: Record<string, string | undefined> = {}, options: HarnessOptions = {}): Promise<Harness> {
  return await build(t, { ...options, env: { ...DEFAULTS, ...env } })
}

export const eventsOf = (events: ReceivedEvent[], sessionId: string, type?: string) =>
  events.filter((e) => e.body.data.session_id === sessionId && (type === undefined || e.type === type))

/** onboards `flow` and waits for its onboarding.provisioned event */
export async function provisioned (h: Harness, flow: FlowName, grant: SimulatedGrant = GRANTS[flow], timeoutMs = 10_000) {
  const { session, callback } = await onboard(h, flow, grant)
  const events = await h.receiver.waitFor((e) => eventsOf(e, session.id, 'onboarding.provisioned').length > 0, timeoutMs)
  return { sessionId: session.id as string, callback, event: eventsOf(events, session.id, 'onboarding.provisioned')[0]!, events: eventsOf(events, session.id) }
}

export const sessionObject = async (h: Harness, id: string) => (await h.app.inject({ method: 'GET', url: `/v1/sessions/${id}`, headers: auth })).json()
