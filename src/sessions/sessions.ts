// Opening sessions and showing them to the partner platform (POST and GET /v1/sessions).
import { flowEnabled, type Config } from '../config/config.js'
import { FLOW_NAMES, inFlowOrder, type FlowName } from '../flows/flows.js'
import { newSessionId } from '../lib/ids.js'
import { ProblemError } from '../lib/problems.js'
import type { Metrics } from '../observability/metrics.js'
import type { DeliveryStore } from '../store/delivery-store.js'
import { allowedFlows, type SessionRecord } from '../store/records.js'
import type { SessionStore } from '../store/session-store.js'
import { isAllowedReturnUrl } from './return-url.js'
import { sessionStatus } from './session-status.js'

/** `flow`, or the `flows` the admin may choose from (the flow chooser); neither: every enabled flow */
export interface NewSession {
  flow?: FlowName | undefined
  flows?: FlowName[] | undefined
  external_id?: string | undefined
  return_url?: string | undefined
  metadata?: Record<string, unknown> | undefined
}

export interface SessionsDeps {
  config: Pick<Config, 'meta' | 'returnUrlOrigins' | 'sessionTtlSeconds' | 'retentionSeconds' | 'publicBaseUrl'>
  sessions: SessionStore
  deliveries: Pick<DeliveryStore, 'getDelivery'>
  metrics: Metrics
  now: () => number
}

/**
 * At most this many sessions of one business are named in an event (the oldest): a bound on one read and on the
 * event's size, far above what one business completes within the retention.
 */
export const BUSINESS_SESSIONS_LIMIT = 1000

export class Sessions {
  readonly #d: SessionsDeps
  constructor (deps: SessionsDeps) { this.#d = deps }

  /** the flows the session will allow, in Meta's order (Flow 1, 2, 3) whatever order they were given in */
  #flows (input: NewSession): FlowName[] {
    const enabled = FLOW_NAMES.filter((flow) => flowEnabled(this.#d.config, flow))
    if (input.flow === undefined && input.flows === undefined) return enabled
    const asked = inFlowOrder(input.flow !== undefined ? [input.flow] : input.flows!)
    const disabled = asked.filter((flow) => !enabled.includes(flow))
    if (disabled.length > 0) {
      throw new ProblemError('flow_disabled', `The ${disabled.join(', ')} flow${disabled.length > 1 ? 's are' : ' is'} not enabled on this service`)
    }
    return asked
  }

  async create (input: NewSession): Promise<SessionRecord> {
    const flows = this.#flows(input)
    // with a single flow to allow there is nothing to choose: the session is fixed to it from the start
    const flow = flows.length === 1 ? flows[0]! : null
    if (input.return_url !== undefined && !isAllowedReturnUrl(input.return_url, this.#d.config.returnUrlOrigins)) {
      throw new ProblemError('return_url_not_allowed', this.#d.config.returnUrlOrigins.length === 0
        ? 'return_url is not accepted: no RETURN_URL_ORIGINS are configured'
        : 'return_url must be an absolute https URL (http only on a loopback host), without user info, on one of the allowed origins')
    }
    const now = this.#d.now()
    const session: SessionRecord = {
      id: newSessionId(),
      flow,
      flows,
      status: 'pending',
      external_id: input.external_id ?? null,
      metadata: input.metadata ?? null,
      return_url: input.return_url ?? null,
      config_id: flow ? this.#d.config.meta.configIds[flow]! : null,
      created_at: new Date(now).toISOString(),
      expires_at: new Date(now + this.#d.config.sessionTtlSeconds * 1000).toISOString(),
      completed_at: null,
      result: null,
      error: null,
      event_id: null
    }
    // kept past its expiry for the retention period, so the partner can still read that it expired
    await this.#d.sessions.createSession(session, this.#d.config.sessionTtlSeconds + this.#d.config.retentionSeconds)
    // a session is counted per flow once its flow is known: here, or when the admin chooses it
    if (flow) this.#d.metrics.sessions.inc({ flow, outcome: 'created', error: '' })
    else this.#d.metrics.flowChoices.inc({ outcome: 'offered', flow: '' })
    return session
  }

  async get (id: string): Promise<SessionRecord> {
    const session = await this.#d.sessions.getSession(id)
    if (!session) throw new ProblemError('session_not_found', `No session ${id}`)
    return session
  }

  /** the session object of the partner API */
  async view (session: SessionRecord) {
    const delivery = session.event_id ? await this.#d.deliveries.getDelivery(session.event_id) : null
    return {
      id: session.id,
      flow: session.flow,
      flows: allowedFlows(session),
      status: sessionStatus(session, this.#d.now()),
      external_id: session.external_id,
      metadata: session.metadata,
      return_url: session.return_url,
      login_url: `${this.#d.config.publicBaseUrl}/login/${session.id}`,
      config_id: session.config_id,
      created_at: session.created_at,
      expires_at: session.expires_at,
      completed_at: session.completed_at,
      result: session.result,
      error: session.error,
      delivery: session.event_id
        ? { event_id: session.event_id, status: delivery?.status ?? 'pending', attempts: delivery?.attempts ?? 0 }
        : null,
      processing: session.status === 'processing' ? session.processing ?? null : null,
      provisioning: session.provisioning
        ? { status: session.provisioning.status, ready: session.provisioning.ready, warnings: session.provisioning.warnings }
        : null,
      revoked_at: session.revoked_at ?? null
    }
  }

  /**
   * The completed sessions of a business (their `result.business_id`), oldest first: those completed within the
   * retention, whose records are still kept, and not revoked (a revocation takes a session out of the index).
   */
  async completedOfBusiness (businessId: string): Promise<string[]> {
    const since = this.#d.now() - this.#d.config.retentionSeconds * 1000
    return await this.#d.sessions.completedSessionsOfBusiness(businessId, since, BUSINESS_SESSIONS_LIMIT)
  }
}
