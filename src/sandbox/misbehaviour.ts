// What the sandbox can make the simulated Meta do wrong on the next login, so a person can watch the
// service handle it: each choice applies once, to the next approval on the dialog, then resets.
import type { DialogMisanswer, MetaSimulator, SimulatedGrant } from './meta-simulator.js'

export const MISBEHAVIOURS = {
  none: 'Nothing: Meta behaves',
  missing_permission: 'The admin grants one permission too few (missing_permissions)',
  wrong_app: 'Meta returns a token issued to another app (token_invalid)',
  meta_5xx_once: 'Meta answers debug_token with a 500 once (retried, then completed)',
  meta_5xx: 'Meta answers debug_token with 500s until the in-request retries run out (processing, then completed)',
  throttled: 'Meta throttles /me for a minute, as a business use case limit (processing, then completed after Meta\'s estimate)',
  login_error: 'Meta ends the login with an error instead of a code (login_error)',
  app_not_setup: 'Meta answers "App Not Setup": error_code 1349126 and its message, without error (login_error)',
  empty_redirect: 'Meta sends the browser back with the state only: no code, no error (login_error, no_code)'
} as const

export type Misbehaviour = keyof typeof MISBEHAVIOURS

export const isMisbehaviour = (value: unknown): value is Misbehaviour => typeof value === 'string' && value in MISBEHAVIOURS

/** the permissions whose absence each flow's check names first */
const MARKETING_SCOPES = ['paid_marketing_messages', 'marketing_messages_messenger']

export class MisbehaviourSwitch {
  #next: Misbehaviour = 'none'

  /** the simulator's `failNext` and `throttle`, passed as functions because the simulator is built with this switch */
  constructor (private readonly failNext: MetaSimulator['failNext'], private readonly throttle: MetaSimulator['throttle']) {}

  get next (): Misbehaviour { return this.#next }
  set (value: Misbehaviour): void { this.#next = value }

  /** the simulator's beforeApproval hook */
  apply = (grant: SimulatedGrant): SimulatedGrant | DialogMisanswer => {
    const mode = this.#next
    this.#next = 'none'
    switch (mode) {
      case 'missing_permission': return { ...grant, scopes: grant.scopes.filter((s) => !MARKETING_SCOPES.includes(s)) }
      case 'wrong_app': return { ...grant, appId: '999999999999999' }
      case 'meta_5xx_once': this.failNext('debug_token', { status: 500 }); return grant
      case 'meta_5xx': this.failNext('debug_token', { status: 500 }, 3); return grant
      case 'throttled': this.throttle('me', 60_000); return grant
      case 'login_error': return 'login_error'
      case 'app_not_setup': return 'app_not_setup'
      case 'empty_redirect': return 'no_code'
      default: return grant
    }
  }
}
