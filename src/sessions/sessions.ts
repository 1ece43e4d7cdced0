// Opening sessions and showing them to the partner platform (SPEC §3).
import { flowEnabled, type Config } from '../config.js'
import { newSessionId } from '../ids.js'
import type { Metrics } from '../metrics.js'
import type { FlowName } from '../onboarding/flows.js'
import { ProblemError } from '../problems.js'
import { isAllowedReturnUrl } from './return-url.js'
import type { SessionRecord, Store } from './records.js'

export interface NewSession {
  flow: FlowName
  external_id?: string | undefined
  return_url?: string | undefined
  metadata?: Record<string, unknown> | undefined
}

export type SessionStatus = SessionRecord['status'] | 'expired'

export const sessionStatus = (session: SessionRecord, now: number): SessionStatus =>
  session.status === 'pending' && Date.parse(session.expires_at) <= now ? 'expired' : session.status

export class Sessions {
  constructor (
    private readonly config: Config,
    private readonly store: Store,
    private readonly metrics: Metrics,
    private readonly now: () => number
  ) {}

  async create (input: NewSession): Promise<SessionRecord> {
    const configId = this.config.meta.configIds[input.flow]
    if (!flowEnabled(this.config, input.flow) || configId === undefined) {
      throw new ProblemError('flow_disabled', `The ${input.flow} flow is not enabled on this service`)
    }
    if (input.return_url !== undefined && !isAllowedReturnUrl(input.return_url, this.config.returnUrlOrigins)) {
      throw new ProblemError('return_url_not_allowed', this.config.returnUrlOrigins.length === 0
        ? 'return_url is not accepted: no RETURN_URL_ORIGINS are configured'
        : 'return_url must be an absolute https URL (http only on a loopback host), without user info, on one of the allowed origins')
    }
    const now = this.now()
    const session: SessionRecord = {
      id: newSessionId(),
      flow: input.flow,
      status: 'pending',
      external_id: input.external_id ?? null,
      metadata: input.metadata ?? null,
      return_url: input.return_url ?? null,
      config_id: configId,
      created_at: new Date(now).toISOString(),
      expires_at: new Date(now + this.config.sessionTtlSeconds * 1000).toISOString(),
      completed_at: null,
      result: null,
      error: null,
      event_id: null
    }
    // kept past its expiry for the retention period, so the partner can still read that it expired
    await this.store.createSession(session, this.config.sessionTtlSeconds + this.config.retentionSeconds)
    this.metrics.sessions.inc({ flow: session.flow, outcome: 'created', error: '' })
    return session
  }

  async get (id: string): Promise<SessionRecord> {
    const session = await this.store.getSession(id)
    if (!session) throw new ProblemError('session_not_found', `No session ${id}`)
    return session
  }

  /** the session object of SPEC §3 */
  async view (session: SessionRecord) {
    const delivery = session.event_id ? await this.store.getDelivery(session.event_id) : null
    return {
      id: session.id,
      flow: session.flow,
      status: sessionStatus(session, this.now()),
      external_id: session.external_id,
      metadata: session.metadata,
      return_url: session.return_url,
      login_url: `${this.config.publicBaseUrl}/login/${session.id}`,
      config_id: session.config_id,
      created_at: session.created_at,
      expires_at: session.expires_at,
      completed_at: session.completed_at,
      result: session.result,
      error: session.error,
      delivery: session.event_id
        ? { event_id: session.event_id, status: delivery?.status ?? 'pending', attempts: delivery?.attempts ?? 0 }
        : null
    }
  }
}
