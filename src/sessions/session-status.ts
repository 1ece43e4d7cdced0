// A session's status as the partner and the browser see it: a pending session past its expiry is expired,
// though nothing rewrites its record.
import type { SessionRecord } from '../store/records.js'

export type SessionStatus = SessionRecord['status'] | 'expired'

export const sessionStatus = (session: SessionRecord, now: number): SessionStatus =>
  session.status === 'pending' && Date.parse(session.expires_at) <= now ? 'expired' : session.status
