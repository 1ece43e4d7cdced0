// A map whose entries expire like Redis keys: read as absent once past their TTL, and swept in the background so
// keys never read again do not hold memory.

export class ExpiringMap<V> {
  readonly #entries = new Map<string, { value: V; expiresAt: number }>()
  readonly #sweep: NodeJS.Timeout

  constructor (private readonly now: () => number) {
    // expired entries are dropped lazily on read; the sweep keeps memory bounded for keys never read again
    this.#sweep = setInterval(() => {
      const t = this.now()
      for (const [key, entry] of this.#entries) if (entry.expiresAt <= t) this.#entries.delete(key)
    }, 60_000)
    this.#sweep.unref()
  }

  get (key: string): V | undefined {
    const entry = this.#entries.get(key)
    if (!entry) return undefined
    if (entry.expiresAt <= this.now()) {
      this.#entries.delete(key)
      return undefined
    }
    return entry.value
  }

  set (key: string, value: V, ttlMs: number): void {
    this.#entries.set(key, { value, expiresAt: this.now() + ttlMs })
  }

  /** a new value under a live key, keeping its expiry */
  replace (key: string, value: V): void {
    const entry = this.#entries.get(key)
    if (entry) entry.value = value
  }

  /** how long a live key has left, in ms; 0 when it is absent */
  ttlMs (key: string): number {
    const entry = this.#entries.get(key)
    return entry ? Math.max(0, entry.expiresAt - this.now()) : 0
  }

  has (key: string): boolean { return this.get(key) !== undefined }
  * values (): Generator<V> {
    for (const key of [...this.#entries.keys()]) {
      const value = this.get(key)
      if (value !== undefined) yield value
    }
  }

  delete (key: string): void { this.#entries.delete(key) }
  close (): void { clearInterval(this.#sweep); this.#entries.clear() }
}
