// The token between the code exchange and the outcome. It is sealed (AES-256-GCM, bound to its session) and
// written as soon as Meta returns it, before any further call, so a token Meta has issued never exists only in
// this process's memory; a session that is `processing` goes on from here. The outcome's write (the outbox)
// deletes it.
import type { TokenSealer } from '../lib/token-sealer.js'
import type { SessionStore } from '../store/session-store.js'

/** the token and what is known of it: once long-lived (flow 2), a resumed session must not exchange it again */
export interface HeldToken {
  accessToken: string
  longLived: boolean
  /** ms since the epoch; null = never, or not known yet */
  expiresAt: number | null
}

export class TokenVault {
  constructor (
    private readonly sessions: Pick<SessionStore, 'putSealedToken' | 'getSealedToken'>,
    private readonly sealer: TokenSealer,
    private readonly ttlSeconds: number
  ) {}

  /** the session's token, replacing the one kept before (a short-lived token once the long-lived one is in) */
  async keep (sessionId: string, held: HeldToken): Promise<void> {
    const plain = JSON.stringify({ access_token: held.accessToken, long_lived: held.longLived, expires_at: held.expiresAt })
    await this.sessions.putSealedToken(sessionId, this.sealer.seal(plain, sessionId), this.ttlSeconds)
  }

  /** the token kept for the session; null once the outcome is written or the retention period is over */
  async read (sessionId: string): Promise<HeldToken | null> {
    const sealed = await this.sessions.getSealedToken(sessionId)
    if (sealed === null) return null
    const plain = this.sealer.open(sealed, sessionId)
    // a token sealed before the vault kept what it knows of it is the bare token string
    if (!plain.startsWith('{')) return { accessToken: plain, longLived: false, expiresAt: null }
    const held = JSON.parse(plain) as { access_token: string; long_lived: boolean; expires_at: number | null }
    return { accessToken: held.access_token, longLived: held.long_lived, expiresAt: held.expires_at }
  }
}
