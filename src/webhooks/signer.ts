// Standard Webhooks v1 signatures with the reference library: one `v1,<sig>` per configured secret, so a
// receiver that knows either the old or the new secret verifies during a rotation.
import { Webhook } from 'standardwebhooks'

export class WebhookSigner {
  readonly #signers: Webhook[]

  constructor (secrets: string[]) {
    this.#signers = secrets.map((secret) => new Webhook(secret))
  }

  /** the three headers of one attempt; the timestamp is the attempt's own */
  headers (eventId: string, body: string, at: Date): Record<string, string> {
    return {
      'webhook-id': eventId,
      'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
      'webhook-signature': this.#signers.map((signer) => signer.sign(eventId, at, body)).join(' ')
    }
  }
}
