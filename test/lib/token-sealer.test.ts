// Tokens sealed at rest with AES-256-GCM: the plaintext never shows in the sealed text, a sealed value opens
// only for the record it was sealed for, keys rotate (the first seals, every one opens), any change to the
// sealed text is detected, and only 32-byte keys are taken.
import { randomBytes } from 'node:crypto'
import t from 'tap'
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
