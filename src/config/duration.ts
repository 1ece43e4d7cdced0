const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }

/**
 * "5s" → 5000; "250ms" → 250; null when the text is not a duration with a unit of ms, s, m or h (and d, when
 * `days` is allowed: retry delays are written in hours at most, a notice before a token's expiry in days).
 */
export function parseDuration (text: string, options: { days?: boolean } = {}): number | null {
  const match = (options.days ? /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/ : /^(\d+(?:\.\d+)?)(ms|s|m|h)$/).exec(text.trim())
  if (!match) return null
  return Math.round(Number(match[1]) * UNITS[match[2] as string]!)
}
