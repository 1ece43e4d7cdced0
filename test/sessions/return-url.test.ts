// Where a browser may be sent back to: a return_url is accepted only on an allowed origin, matched exactly
// (scheme, host and port), over https, or over http on a loopback host, and never with user info. The
// outcome of the onboarding is appended to the partner's own query, URL-encoded.
import t from 'tap'
import { isAllowedReturnUrl, returnUrlWithOutcome } from '../../src/sessions/return-url.js'

const ALLOWED = [
  'https://app.example.com',
  'http://localhost:4000',
  'http://127.0.0.1:4000',
  'http://[::1]:4000',
  'http://insecure.example.com',
  'http://127.0.0.2:4000',
  'http://localhost.example.com'
]

t.test('isAllowedReturnUrl: a URL on an allowed origin, exactly', async (t) => {
  t.equal(isAllowedReturnUrl('https://app.example.com/done', ALLOWED), true)
  t.equal(isAllowedReturnUrl('https://app.example.com', ALLOWED), true, 'the origin itself')
  t.equal(isAllowedReturnUrl('https://app.example.com/done?x=1&y=a%20b#frag', ALLOWED), true, 'with its own query and fragment')
  t.equal(isAllowedReturnUrl('https://app.example.com:443/done', ALLOWED), true, 'the default port is the same origin')
  t.equal(isAllowedReturnUrl('HTTPS://APP.Example.COM/done', ALLOWED), true, 'scheme and host are case-insensitive')

  t.equal(isAllowedReturnUrl('https://app.example.com:8443/done', ALLOWED), false, 'another port is another origin')
  t.equal(isAllowedReturnUrl('http://app.example.com/done', ALLOWED), false, 'another scheme is another origin')
  t.equal(isAllowedReturnUrl('https://evil.example.com/done', ALLOWED), false, 'another host')
  t.equal(isAllowedReturnUrl('https://app.example.com.evil.com/done', ALLOWED), false, 'the allowed host as a prefix of another')
  t.equal(isAllowedReturnUrl('https://sub.app.example.com/done', ALLOWED), false, 'a subdomain of the allowed host')
  t.equal(isAllowedReturnUrl('https://app.example.com/done', []), false, 'no allowed origin: nothing is accepted')
  t.equal(isAllowedReturnUrl('https://app.example.com/done', ['https://app.example.com/']), false,
    'origins are compared as given: the configuration hands them over normalised')
})

t.test('isAllowedReturnUrl: https only, except http on a loopback host', async (t) => {
  t.equal(isAllowedReturnUrl('http://insecure.example.com/x', ALLOWED), false, 'http on an allowed origin that is not loopback')
  t.equal(isAllowedReturnUrl('http://localhost:4000/x', ALLOWED), true, 'http on localhost')
  t.equal(isAllowedReturnUrl('http://127.0.0.1:4000/x', ALLOWED), true, 'http on 127.0.0.1')
  t.equal(isAllowedReturnUrl('http://[::1]:4000/x', ALLOWED), true, 'http on [::1]')
  t.equal(isAllowedReturnUrl('http://LOCALHOST:4000/x', ALLOWED), true, 'the host as the URL parser normalises it')
  t.equal(isAllowedReturnUrl('http://[0:0:0:0:0:0:0:1]:4000/x', ALLOWED), true, 'a longer spelling of [::1]')
  t.equal(isAllowedReturnUrl('http://localhost:4001/x', ALLOWED), false, 'loopback, but another port')
  t.equal(isAllowedReturnUrl('https://localhost:4000/x', ALLOWED), false, 'loopback, the allowed port, another scheme')
  t.equal(isAllowedReturnUrl('http://127.0.0.2:4000/x', ALLOWED), false, 'only localhost, 127.0.0.1 and [::1] are loopback here')
  t.equal(isAllowedReturnUrl('http://localhost.example.com/x', ALLOWED), false, 'a host that starts with localhost is not loopback')
  t.equal(isAllowedReturnUrl('https://localhost:4000/x', ['https://localhost:4000']), true, 'https on loopback, when that origin is allowed')
  for (const url of ['javascript:alert(document.cookie)', 'data:text/html,<script>alert(1)</script>', 'ftp://app.example.com/x']) {
    t.equal(isAllowedReturnUrl(url, [...ALLOWED, 'null', 'ftp://app.example.com']), false, `not http(s): ${url}`)
  }
})

t.test('isAllowedReturnUrl: user info and unparseable URLs are refused', async (t) => {
  t.equal(isAllowedReturnUrl('https://u:p@app.example.com/x', ALLOWED), false, 'a user and a password')
  t.equal(isAllowedReturnUrl('https://u@app.example.com/x', ALLOWED), false, 'a user')
  t.equal(isAllowedReturnUrl('https://:p@app.example.com/x', ALLOWED), false, 'a password')
  t.equal(isAllowedReturnUrl('http://u@localhost:4000/x', ALLOWED), false, 'on loopback too')
  for (const url of ['not a url', '', 'app.example.com/done', '/onboarding/done', '//app.example.com/done', 'https://']) {
    t.equal(isAllowedReturnUrl(url, ALLOWED), false, `unparseable as an absolute URL: ${JSON.stringify(url)}`)
  }
})

t.test('returnUrlWithOutcome: the outcome after the partner\'s own query, URL-encoded', async (t) => {
  t.equal(returnUrlWithOutcome('https://app.example.com/done', { session_id: 'ses_1', status: 'completed' }),
    'https://app.example.com/done?session_id=ses_1&status=completed', 'a URL without a query gets one')
  t.equal(returnUrlWithOutcome('https://app.example.com/done?x=1', { session_id: 'ses_1', status: 'failed', error: 'user_denied' }),
    'https://app.example.com/done?x=1&session_id=ses_1&status=failed&error=user_denied', 'after the partner\'s own parameters, in order')
  t.equal(returnUrlWithOutcome('https://app.example.com/done?x=1#frag', { status: 'completed' }),
    'https://app.example.com/done?x=1&status=completed#frag', 'the fragment stays at the end')
  t.equal(returnUrlWithOutcome('https://app.example.com/done?status=mine', { status: 'completed' }),
    'https://app.example.com/done?status=mine&status=completed', 'a parameter of the same name is kept, not replaced')
  t.equal(returnUrlWithOutcome('http://localhost:4000/x', { status: 'expired' }), 'http://localhost:4000/x?status=expired')
  t.equal(returnUrlWithOutcome('https://app.example.com/done?x=1', {}), 'https://app.example.com/done?x=1', 'no outcome, no change')

  const encoded = returnUrlWithOutcome('https://app.example.com/done', { note: 'a b&c=d/é+?#' })
  t.equal(encoded, 'https://app.example.com/done?note=a+b%26c%3Dd%2F%C3%A9%2B%3F%23', 'values are form-encoded')
  t.equal(new URL(encoded).searchParams.get('note'), 'a b&c=d/é+?#', 'and decode to what was given')
  t.equal(new URL(encoded).hash, '', 'a # in a value does not start a fragment')

  // the query is serialised again as a form: the partner's values keep their meaning, not their spelling
  const own = returnUrlWithOutcome('https://app.example.com/done?y=a%20b&z', { status: 'completed' })
  t.equal(own, 'https://app.example.com/done?y=a+b&z=&status=completed', '%20 becomes +, a bare name gets =')
  t.same([...new URL(own).searchParams], [['y', 'a b'], ['z', ''], ['status', 'completed']], 'the same parameters, decoded')
})
