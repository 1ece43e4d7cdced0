// The body of a Meta Webhooks notification, read only after its signature was checked:
// `{"object": "application", "entry": [{"id": "…", "time": 1700000000, "changes": [{"field": "…", "value": …}]}]}`.
// Each change becomes one event for the partner platform; `value` is passed on as Meta sent it.
import { ProblemError } from '../lib/problems.js'

export interface AppWebhookChange {
  object: string
  entry_id: string
  time: number
  field: string
  value: unknown
}

/** Meta batches at most 1000 updates in one notification; more is not Meta */
const MAX_CHANGES = 1000

const invalid = (detail: string, field: string) => new ProblemError('invalid_request', detail, { errors: [{ field, message: detail }] })

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

/** the changes of a notification, in the order Meta sent them; an entry without `changes` has none */
export function appWebhookChanges (raw: Buffer): AppWebhookChange[] {
  let body: unknown
  try {
    body = JSON.parse(raw.toString('utf8'))
  } catch {
    throw invalid('The body is not valid JSON', 'body')
  }
  if (!isObject(body) || typeof body.object !== 'string' || !Array.isArray(body.entry)) {
    throw invalid('The body must be an object with `object` (a string) and `entry` (an array)', 'entry')
  }
  const object = body.object
  const changes: AppWebhookChange[] = []
  for (const [i, entry] of body.entry.entries()) {
    if (!isObject(entry)) throw invalid(`entry[${i}] must be an object`, `entry.${i}`)
    // Meta writes IDs as strings; a number is accepted and kept as its digits
    const id = typeof entry.id === 'number' && Number.isSafeInteger(entry.id) ? String(entry.id) : entry.id
    if (typeof id !== 'string' || id === '') throw invalid(`entry[${i}].id must be a string`, `entry.${i}.id`)
    if (typeof entry.time !== 'number' || !Number.isFinite(entry.time)) throw invalid(`entry[${i}].time must be a number`, `entry.${i}.time`)
    if (entry.changes === undefined) continue
    if (!Array.isArray(entry.changes)) throw invalid(`entry[${i}].changes must be an array`, `entry.${i}.changes`)
    for (const [j, change] of entry.changes.entries()) {
      if (!isObject(change) || typeof change.field !== 'string' || change.field === '') {
        throw invalid(`entry[${i}].changes[${j}] must be an object with a field`, `entry.${i}.changes.${j}.field`)
      }
      changes.push({ object, entry_id: id, time: entry.time, field: change.field, value: change.value ?? null })
      if (changes.length > MAX_CHANGES) throw invalid(`A notification carries at most ${MAX_CHANGES} changes`, 'entry')
    }
  }
  return changes
}
