// Security headers on every kind of response: nosniff everywhere; HTML pages with a strict CSP and
// no framing; HSTS only when the public base URL is https.
import t from 'tap'
import { auth, build } from '../helper.js'

const PROBES = [
  { url: '/healthz' }, { url: '/readyz' }, { url: '/metrics' }, { url: '/v1/sessions', method: 'POST' as const },
  { url: '/v1/sessions/ses_00000000000000000000000000000000', headers: auth }, { url: '/login/ses_00000000000000000000000000000000' },
  { url: '/oauth/callback' }, { url: '/nope' }
]

t.test('https: nosniff and HSTS on every response; CSP, frame denial and no-store on pages', async (t) => {
  const h = await build(t)
  for (const probe of PROBES) {
    const res = await h.app.inject(probe)
    t.equal(res.headers['x-content-type-options'], 'nosniff', `${probe.url} nosniff`)
    t.match(res.headers['strict-transport-security'], /^max-age=\d{7,}/, `${probe.url} HSTS`)
    t.equal(res.headers['referrer-policy'], 'no-referrer')
    if (/^text\/html/.test(String(res.headers['content-type']))) {
      const csp = String(res.headers['content-security-policy'])
      t.match(csp, /default-src 'none'/, `${probe.url} CSP`)
      t.match(csp, /frame-ancestors 'none'/)
      t.notMatch(csp, /script-src|unsafe-inline|unsafe-eval/, 'no script at all')
      t.equal(res.headers['x-frame-options'], 'DENY')
      t.equal(res.headers['cache-control'], 'no-store')
    }
  }
})

t.test('http (local development): no HSTS, and the cookie is not Secure', async (t) => {
  const h = await build(t, { env: { PUBLIC_BASE_URL: 'http://localhost:3000' } })
  const res = await h.app.inject('/healthz')
  t.equal(res.headers['strict-transport-security'], undefined)
  const session = (await h.app.inject({ method: 'POST', url: '/v1/sessions', headers: auth, payload: { flow: 'business_portfolio' } })).json()
  t.equal(session.login_url.startsWith('http://localhost:3000/login/'), true)
  const login = await h.app.inject({ url: new URL(session.login_url).pathname })
  const cookie = login.cookies[0]!
  t.equal(cookie.name, 'mo_nonce', 'no __Host- prefix without https')
  t.notOk(cookie.secure)
  t.equal(cookie.httpOnly, true)
  t.equal(new URL(login.headers.location as string).searchParams.get('redirect_uri'), 'http://localhost:3000/oauth/callback')
})
