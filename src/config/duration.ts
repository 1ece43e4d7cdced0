const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }

/** "5s" → 5000; "250ms" → 250; null when the text is not a duration with a unit of ms, s, m or h. */
export function parseDuration (text: string): number | null {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(text.trim())
  if (!match) return null
  return Math.round(Number(match[1]) * UNITS[match[2] as string]!)
}
