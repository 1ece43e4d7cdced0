// The rate counter of a single instance without Redis: the same fixed windows, in this process only.
import type { RateCounter, WindowCount } from '../rate-counter.js'
import { ExpiringMap } from './expiring-map.js'

export class MemoryRateCounter implements RateCounter {
  readonly #windows: ExpiringMap<{ count: number; endsAt: number }>

  constructor (private readonly windowMs: number, private readonly now: () => number) {
    this.#windows = new ExpiringMap(now)
  }

  async hit (key: string): Promise<WindowCount> {
    const now = this.now()
    let window = this.#windows.get(key)
    if (window === undefined) {
      window = { count: 0, endsAt: now + this.windowMs }
      this.#windows.set(key, window, this.windowMs)
    }
    window.count++
    return { count: window.count, resetInMs: window.endsAt - now }
  }

  close (): void { this.#windows.close() }
}
