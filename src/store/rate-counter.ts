// A count per key in fixed windows, for rate limits that count after the fact (the browser routes count their
// refusals, known only once a request was answered). Windows start at a key's first hit and end on their own.

export interface WindowCount {
  /** hits in the key's current window, this one included */
  count: number
  /** until the window ends and the count starts again */
  resetInMs: number
}

export interface RateCounter {
  /** adds one to the key's count in its current window, opening a window if it has none */
  hit (key: string): Promise<WindowCount>
  close (): void
}
