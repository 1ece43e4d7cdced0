// The token between the code exchange and the outcome. It is sealed (AES-256-GCM, bound to its session) and
// written as soon as Meta returns it, before any further call, so a token Meta has issued never exists only in
// this process's memory. The outcome's write (the outbox) deletes it.
import type { TokenSealer } from '../lib/token-sealer.js'
import type { SessionStore } from '../store/session-store.js'

export class TokenVault {
  constructor (
    private readonly sessions: Pick<SessionStore, 'putSealedToken'>,
    private readonly sealer: TokenSealer,
    private readonly ttlSeconds: number
  ) {}

  /** the session's token, replacing the one kept before (a short-lived token once the long-lived one is in) */
  async keep (sessionId: string, token: string): Promise<void> {
    await this.sessions.putSealedToken(sessionId, this.sealer.seal(token, sessionId), this.ttlSeconds)
  }
}
