// What a log line keeps of an error: pino's `err` serializer for the whole service.

export interface ErrorSummary { type: string; message: string; code?: string }

/**
 * The error's name, message and code: never its stack, its cause or its other fields, since a URL inside any of
 * them may carry a token or the app secret. Messages the service writes never include either.
 */
export function errorSummary (err: unknown): ErrorSummary {
  if (!(err instanceof Error)) return { type: typeof err, message: String(err).slice(0, 200) }
  const code = (err as { code?: unknown }).code
  return { type: err.name, message: err.message, ...(typeof code === 'string' ? { code } : {}) }
}
