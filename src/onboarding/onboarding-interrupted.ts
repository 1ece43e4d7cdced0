import type { MetaCallError } from '../meta/meta-call-error.js'
import type { OnboardingError } from '../store/records.js'

/**
 * Meta failed after the code exchange in a way that passes with time (a transient failure that outlived its
 * retries, throttling, a 2xx without the field needed). The token is valid and kept, so the session is not
 * failed: it becomes `processing` and the steps are attempted again later.
 */
export class OnboardingInterrupted extends Error {
  constructor (readonly metaError: MetaCallError) {
    super(`Meta did not answer usefully (${metaError.reason}${metaError.status ? ` ${metaError.status}` : ''}${metaError.kind === 'throttled' ? ', throttled' : ''})`)
    this.name = 'OnboardingInterrupted'
  }

  /** at least this long before the next attempt, when Meta said how long it refuses */
  get waitMs (): number { return this.metaError.regainAccessMs ?? 0 }

  /** the session's `processing.last_error`, and the failure once the schedule runs out */
  toError (): OnboardingError {
    return { code: 'upstream_unavailable', message: this.message, ...(this.metaError.meta ? { meta: this.metaError.meta } : {}) }
  }
}
