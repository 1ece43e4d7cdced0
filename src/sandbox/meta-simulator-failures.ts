// The failures a test or the sandbox plans for the simulated Meta's next calls: per endpoint, in order, each
// for a number of calls.
import type { Failure, SimulatedEndpoint } from './meta-simulator-types.js'

export class FailurePlan {
  readonly #planned = new Map<SimulatedEndpoint, Array<{ failure: Failure, remaining: number }>>()

  add (endpoint: SimulatedEndpoint, failure: Failure, times = 1): void {
    if (!Number.isInteger(times) || times < 1) throw new RangeError(`times must be a positive integer, got ${times}`)
    const queue = this.#planned.get(endpoint) ?? []
    queue.push({ failure, remaining: times })
    this.#planned.set(endpoint, queue)
  }

  /** the failure the next call to `endpoint` meets, if one is planned */
  take (endpoint: SimulatedEndpoint): Failure | undefined {
    const queue = this.#planned.get(endpoint)
    const head = queue?.[0]
    if (queue === undefined || head === undefined) return undefined
    head.remaining -= 1
    if (head.remaining === 0) queue.shift()
    return head.failure
  }

  clear (): void { this.#planned.clear() }
}
