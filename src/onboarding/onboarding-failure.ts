import type { MetaCallError } from '../meta/meta-call-error.js'
import type { OnboardingError, OnboardingErrorCode } from '../store/records.js'

/** A decided failure of an onboarding: it becomes the session's `error` and an `onboarding.failed` event. */
export class OnboardingFailure extends Error {
  constructor (
    readonly code: OnboardingErrorCode,
    message: string,
    readonly details: Pick<OnboardingError, 'missing_scopes' | 'meta'> = {}
  ) {
    super(message)
    this.name = 'OnboardingFailure'
  }

  static fromMeta (err: MetaCallError, code: OnboardingErrorCode, message: string): OnboardingFailure {
    // a transient failure that outlived its retries is Meta being unavailable, whatever the step
    const failure = err.transient || err.reason === 'bad_response' ? 'upstream_unavailable' : code
    const text = failure === 'upstream_unavailable' ? `Meta did not answer usefully (${err.reason}${err.status ? ` ${err.status}` : ''})` : message
    return new OnboardingFailure(failure, text, err.meta ? { meta: err.meta } : {})
  }

  toError (): OnboardingError {
    return { code: this.code, message: this.message, ...this.details }
  }
}
