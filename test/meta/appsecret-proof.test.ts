// Meta's appsecret_proof: the lowercase hex HMAC-SHA256 of "token|time" keyed by the app secret, with the
// time in Unix seconds taken from the clock, so a proof changes every second.
import { createHmac } from 'node:crypto'
import t from 'tap'
import { appsecretProof } from '../../src/meta/appsecret-proof.js'

const TOKEN = 'EAAGm0PX4ZCpsBAtestTOKENvalue1234567890abcdefghijklmnopqrstuvwxyz'

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
