// The three pieces of cryptography: tokens sealed at rest (AES-256-GCM), webhook signatures (Standard
// Webhooks v1, checked with the reference library and by hand), and Meta's appsecret_proof.
import { createHmac, randomBytes } from 'node:crypto'
import t from 'tap'
import { Webhook } from 'standardwebhooks'
import { appsecretProof } from '../../src/meta/appsecret-proof.js'
import { WebhookSigner } from '../../src/webhooks/signer.js'
import { TokenSealer } from '../../src/lib/token-sealer.js'

const k1 = Buffer.alloc(32, 1)
const k2 = Buffer.alloc(32, 2)
const TOKEN = 'EAAGm0PX4ZCpsBAtestTOKENvalue1234567890abcdefghijklmnopqrstuvwxyz'
const EVENT = 'evt_0123456789abcdef0123456789abcdef'

/** the same text with the character at `index` replaced by another character of the base64url alphabet */
function flip (text: string, index: number): string {
  const c = text[index]!
  return text.slice(0, index) + (c === 'A' ? 'B' : 'A') + text.slice(index + 1)
}

t.test('TokenSealer: round trip, and the plaintext is not in the sealed text', async (t) => {
  const sealer = new TokenSealer([k1])
  const sealed = sealer.seal(TOKEN, EVENT)
  t.equal(sealer.open(sealed, EVENT), TOKEN)
  t.notOk(sealed.includes(TOKEN), 'no plaintext')
  t.notOk(sealed.includes(TOKEN.slice(0, 12)), 'not even a prefix')
  t.notOk(sealed.includes(Buffer.from(TOKEN).toString('base64url').slice(0, 16)), 'nor its base64')
  t.notOk(sealed.includes(k1.toString('base64url')) || sealed.includes(k1.toString('base64')), 'nor the key')
  t.notOk(sealed.includes(EVENT), 'the bound record is not written into it either')

  const again = sealer.seal(TOKEN, EVENT)
  t.not(again, sealed, 'a fresh IV every time: the same token never seals to the same text')
  t.equal(sealer.open(again, EVENT), TOKEN)

  const unicode = '{"data":{"note":"é ✓ 日本"},"token":"' + TOKEN + '"}'
  t.equal(sealer.open(sealer.seal(unicode, EVENT), EVENT), unicode, 'UTF-8 survives')
  t.equal(sealer.open(sealer.seal('', EVENT), EVENT), '', 'the empty string')
  const large = randomBytes(50_000).toString('base64')
  t.equal(sealer.open(sealer.seal(large, EVENT), EVENT), large, 'a large body')
})

t.test('TokenSealer: bound to its record', async (t) => {
  const sealer = new TokenSealer([k1])
  const sealed = sealer.seal(TOKEN, EVENT)
  t.throws(() => sealer.open(sealed, 'evt_ffffffffffffffffffffffffffffffff'), 'another record cannot open it')
  t.throws(() => sealer.open(sealed, ''), 'nor no record')
  t.throws(() => sealer.open(sealed, EVENT + ' '), 'nor a near miss')
})

t.test('TokenSealer: key rotation', async (t) => {
  const old = new TokenSealer([k1])
  const sealed = old.seal(TOKEN, EVENT)
  const rotated = new TokenSealer([k2, k1])
  t.equal(rotated.open(sealed, EVENT), TOKEN, 'a value sealed under the old key opens after the rotation')
  t.throws(() => new TokenSealer([k2]).open(sealed, EVENT), 'without the old key it does not')
  const fresh = rotated.seal(TOKEN, EVENT)
  t.equal(new TokenSealer([k2]).open(fresh, EVENT), TOKEN, 'the first key seals')
  t.throws(() => old.open(fresh, EVENT), 'so the old key alone cannot open new values')
  t.equal(new TokenSealer([k1, k2]).open(fresh, EVENT), TOKEN, 'whatever the order of the opening keys')
})

t.test('TokenSealer: any tampering is detected', async (t) => {
  const sealer = new TokenSealer([k1])
  const sealed = sealer.seal(TOKEN, EVENT)
  const parts = sealed.split('.')
  t.equal(parts.length, 4, 'version, key id, iv, ciphertext+tag')
  let offset = 0
  let tried = 0
  let refused = 0
  for (const [i, part] of parts.entries()) {
    // every character of every segment but the last one of a segment (whose low bits base64 may ignore)
    for (let j = 0; j < part.length - 1; j++) {
      const tampered = flip(sealed, offset + j)
      tried++
      try {
        sealer.open(tampered, EVENT)
        t.fail(`segment ${i}, character ${j} changed and it still opened`)
      } catch {
        refused++
      }
    }
    offset += part.length + 1
  }
  t.ok(tried > 100, `${tried} one-character changes tried`)
  t.equal(refused, tried, 'every one refused')
  t.throws(() => sealer.open(sealed.slice(0, -4), EVENT), 'truncated')
  t.throws(() => sealer.open(sealed + 'AAAA', EVENT), 'extended')
  t.throws(() => sealer.open(parts.slice(0, 3).join('.'), EVENT), 'a segment missing')
  t.throws(() => sealer.open('v2.' + parts.slice(1).join('.'), EVENT), 'another version')
  t.throws(() => sealer.open(TOKEN, EVENT), 'a plaintext token')
  t.equal(sealer.open(sealed, EVENT), TOKEN, 'the original still opens')
})

t.test('TokenSealer: only 32-byte keys', async (t) => {
  t.throws(() => new TokenSealer([]))
  t.throws(() => new TokenSealer([Buffer.alloc(31)]))
  t.throws(() => new TokenSealer([k1, Buffer.alloc(16)]))
})

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

t.test('appsecretProof: HMAC-SHA256 of token|time keyed by the app secret, time from the clock', async (t) => {
  const secret = 'app-secret-0123456789abcdef'
  const nowMs = 1_790_000_123_987
  const proof = appsecretProof(TOKEN, secret, nowMs)
  t.equal(proof.appsecret_time, '1790000123', 'Unix seconds, rounded down')
  t.equal(proof.appsecret_proof, createHmac('sha256', secret).update(`${TOKEN}|1790000123`).digest('hex'))
  t.match(proof.appsecret_proof, /^[0-9a-f]{64}$/, 'lowercase hex')
  t.not(appsecretProof(TOKEN, secret, nowMs + 1000).appsecret_proof, proof.appsecret_proof, 'another second, another proof')
  t.equal(appsecretProof(TOKEN, secret, nowMs + 12).appsecret_proof, proof.appsecret_proof, 'the same second, the same proof')
  t.not(appsecretProof(TOKEN + 'x', secret, nowMs).appsecret_proof, proof.appsecret_proof)
  t.not(appsecretProof(TOKEN, secret + 'x', nowMs).appsecret_proof, proof.appsecret_proof)
  t.not(proof.appsecret_proof, createHmac('sha256', secret).update(TOKEN).digest('hex'), 'not the untimed proof')

  const before = Math.floor(Date.now() / 1000)
  const current = appsecretProof(TOKEN, secret)
  const after = Math.floor(Date.now() / 1000)
  const time = Number(current.appsecret_time)
  t.ok(time >= before && time <= after, 'without a clock: now')
  t.equal(current.appsecret_proof, createHmac('sha256', secret).update(`${TOKEN}|${current.appsecret_time}`).digest('hex'))
})
