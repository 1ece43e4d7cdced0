// Guessing: a run of forged states against /oauth/callback meets the per-IP limit of refusals long before it
// could matter, without a single call to Meta, while a real login from the same address still goes through;
// API keys are compared in constant time.
import t from 'tap'
import { randomBytes } from 'node:crypto'
import { keyMatcher } from '../../src/http/plugins/api-auth.js'
import { Browser, build, createSession, GRANTS } from '../helper.js'

const GUESSER = '203.0.113.9'

t.test('a brute force of states hits the limit of refusals; the admin behind the same address is not affected', async (t) => {
  const h = await build(t) // the default limit: 120 refusals per minute per client IP
  const session = await createSession(h, { flow: 'business_portfolio' })
  const admin = new Browser(h.app, GUESSER)
  const login = await admin.get(session.login_url)
  const statuses: number[] = []
  let retryAfter = ''
  for (let i = 0; i < 200; i++) {
    const res = await h.app.inject({
      url: `/oauth/callback?code=AQ${randomBytes(8).toString('hex')}&state=${randomBytes(32).toString('base64url')}`,
      remoteAddress: GUESSER
    })
    statuses.push(res.statusCode)
    if (res.statusCode === 429) retryAfter = String(res.headers['retry-after'])
  }
  t.equal(statuses.filter((s) => s === 400).length, 120, '120 guesses answered (all wrong)')
  t.equal(statuses.filter((s) => s === 429).length, 80, 'then only 429s')
  t.same(statuses.slice(120), Array(80).fill(429), 'none answered otherwise once over the limit')
  t.ok(Number(retryAfter) > 0 && Number(retryAfter) <= 60, `Retry-After ${retryAfter}`)
  t.equal(h.sim.callsTo('exchange').length, 0, 'no guess reached Meta')
  // 2^256 states: 120 guesses a minute will not find one; the admin's own login, from the very address that is
  // over the limit, goes through, since a request that succeeds is never refused
  const done = await admin.get(h.sim.approve(login.headers.location as string, GRANTS.business_portfolio))
  t.equal(done.statusCode, 200)
  t.equal(h.sim.callsTo('exchange').length, 1, 'only the real code was exchanged')
  // and a guess that arrives on the heels of that login is still limited
  t.equal((await h.app.inject({ url: `/oauth/callback?state=${randomBytes(32).toString('base64url')}`, remoteAddress: GUESSER })).statusCode, 429)
})

t.test('API keys: every configured key is compared, in full, whatever is presented', async (t) => {
  const keys = ['k'.repeat(32), 'l'.repeat(40), 'm'.repeat(64)]
  const seen: Array<[number, number]> = []
  const matches = keyMatcher(keys, (a, b) => {
    seen.push([a.length, b.length])
    return a.equals(b)
  })
  for (const presented of [keys[0]!, keys[2]!, 'x', 'k'.repeat(31), 'k'.repeat(33), '', 'z'.repeat(10_000)]) {
    seen.length = 0
    const result = matches(presented)
    t.equal(result, keys.includes(presented), `${presented.slice(0, 8)}… (${presented.length} chars)`)
    t.equal(seen.length, 3, 'compared with all three keys: no early exit on a match')
    t.ok(seen.every(([a, b]) => a === 32 && b === 32), 'always two 32-byte digests: the length of the guess does not show')
  }
  // and the real comparison is Node's constant-time one
  const real = keyMatcher(keys)
  t.equal(real(keys[1]!), true)
  t.equal(real(keys[1]!.slice(0, -1) + 'x'), false)
})
