// Webhook signatures as Standard Webhooks v1 defines them: one v1 entry per configured secret, each the
// HMAC-SHA256 of "id.timestamp.body", checked with the reference standardwebhooks library and by hand.
import { createHmac } from 'node:crypto'
import t from 'tap'
import { Webhook } from 'standardwebhooks'
import { WebhookSigner } from '../../src/webhooks/signer.js'

const EVENT = 'evt_0123456789abcdef0123456789abcdef'

t.test('WebhookSigner: one v1 signature per secret, each verifies with the reference library', async (t) => {
  const s1 = 'whsec_' + Buffer.alloc(32, 11).toString('base64')
  const s2 = 'whsec_' + Buffer.alloc(24, 22).toString('base64')
  const other = 'whsec_' + Buffer.alloc(32, 33).toString('base64')
  const signer = new WebhookSigner([s1, s2])
  const body = JSON.stringify({ type: 'onboarding.completed', data: { session_id: 'ses_1', note: 'é' } })
  const at = new Date()
  const headers = signer.headers(EVENT, body, at)
  t.same(Object.keys(headers).sort(), ['webhook-id', 'webhook-signature', 'webhook-timestamp'])
  t.equal(headers['webhook-id'], EVENT)
  t.equal(headers['webhook-timestamp'], String(Math.floor(at.getTime() / 1000)), 'Unix seconds of the attempt')

  const entries = headers['webhook-signature']!.split(' ')
  t.equal(entries.length, 2, 'two space-separated entries')
  for (const entry of entries) t.match(entry, /^v1,[A-Za-z0-9+/]{43}=$/, 'v1,<base64 of 32 bytes>')
  t.not(entries[0], entries[1])

  t.same(new Webhook(s1).verify(body, headers), JSON.parse(body), 'the first secret verifies')
  t.same(new Webhook(s2).verify(body, headers), JSON.parse(body), 'the second secret verifies')
  t.throws(() => new Webhook(other).verify(body, headers), 'an unknown secret does not')
  t.throws(() => new Webhook(s1).verify(body + ' ', headers), 'a changed body does not')
  t.throws(() => new Webhook(s1).verify(body, { ...headers, 'webhook-id': 'evt_other' }), 'another id does not')

  // by hand: base64 HMAC-SHA256 of "{id}.{timestamp}.{body}" keyed by the secret's bytes, in secret order
  for (const [i, secret] of [s1, s2].entries()) {
    const key = Buffer.from(secret.slice('whsec_'.length), 'base64')
    const expected = createHmac('sha256', key).update(`${EVENT}.${headers['webhook-timestamp']}.${body}`).digest('base64')
    t.equal(entries[i], `v1,${expected}`, `entry ${i + 1} is the HMAC of secret ${i + 1}`)
  }

  // each attempt's timestamp is its own
  const later = signer.headers(EVENT, body, new Date(at.getTime() + 5000))
  t.equal(Number(later['webhook-timestamp']) - Number(headers['webhook-timestamp']), 5)
  t.not(later['webhook-signature'], headers['webhook-signature'])
  t.equal(new WebhookSigner([s1]).headers(EVENT, body, at)['webhook-signature'], entries[0], 'one secret: one entry')
})
