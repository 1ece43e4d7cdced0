// The failures a test or the sandbox plans for the simulated Meta's next calls: per endpoint, in order, each for
// a number of calls; and throttling, which Meta applies as a window: "any subsequent requests … will fail … until
// enough time has passed for the call count to drop below the limit"
// (https://developers.facebook.com/docs/graph-api/overview/rate-limiting).
import type { Failure, SimulatedEndpoint } from './meta-simulator-types.js'

/**
 * Meta's answer to a throttled business use case (code 80004, Ads Management, applies to system-user tokens),
 * with its usage header saying when access comes back, in minutes, as Meta writes it.
 */
export function throttledAnswer (untilMs: number, nowMs: number): Failure {
  // whole minutes, as Meta writes them: a window that ends within half a minute says 0
  const minutes = Math.round((untilMs - nowMs) / 60_000)
  return {
    status: 400,
    graphError: { code: 80004, message: 'There have been too many calls to this ad-account. Wait a bit and try again.', is_transient: true },
    headers: { 'x-business-use-case-usage': JSON.stringify({ 1234567890: [{ type: 'ads_management', call_count: 100, total_cputime: 30, total_time: 40, estimated_time_to_regain_access: minutes }] }) }
  }
}

export class FailurePlan {
  readonly #planned = new Map<SimulatedEndpoint, Array<{ failure: Failure, remaining: number }>>()
  readonly #windows = new Map<SimulatedEndpoint, number>()

  constructor (private readonly nowMs: () => number) {}

  /** every call to `endpoint` is refused as throttled for the next `ms` */
  throttle (endpoint: SimulatedEndpoint, ms: number): void {
    this.#windows.set(endpoint, this.nowMs() + ms)
  }

  add (endpoint: SimulatedEndpoint, failure: Failure, times = 1): void {
    if (!Number.isInteger(times) || times < 1) throw new RangeError(`times must be a positive integer, got ${times}`)
    const queue = this.#planned.get(endpoint) ?? []
    queue.push({ failure, remaining: times })
    this.#planned.set(endpoint, queue)
  }

  /** the failure the next call to `endpoint` meets, if one is planned */
  take (endpoint: SimulatedEndpoint): Failure | undefined {
    const until = this.#windows.get(endpoint)
    if (until !== undefined && until > this.nowMs()) return throttledAnswer(until, this.nowMs())
    const queue = this.#planned.get(endpoint)
    const head = queue?.[0]
    if (queue === undefined || head === undefined) return undefined
    head.remaining -= 1
    if (head.remaining === 0) queue.shift()
    return head.failure
  }

  clear (): void {
    this.#planned.clear()
    this.#windows.clear()
  }
}
