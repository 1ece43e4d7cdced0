// Size limits: URLs, headers and bodies beyond what any real client sends are refused before they cost
// anything, with a clear answer and never a 5xx.
import { request } from 'node:http'
import t from 'tap'
import { auth, build } from '../helper.js'

t.test('an oversized URL is a 414: problem+json on the API, a page on browser routes', async (t) => {
  const h = await build(t)
  const api = await h.app.inject({ url: `/v1/sessions/ses_x?pad=${'a'.repeat(9000)}`, headers: auth })
  t.equal(api.statusCode, 414)
  t.match(api.headers['content-type'], /^application\/problem\+json/)
  t.equal(api.json().code, 'uri_too_long')
  const page = await h.app.inject({ url: `/oauth/callback?code=${'a'.repeat(9000)}&state=x` })
  t.equal(page.statusCode, 414)
  t.match(page.headers['content-type'], /^text\/html/)
  t.match(page.headers['content-security-policy'], /frame-ancestors 'none'/)
  t.equal(h.sim.calls.length, 0)
  // just under the limit is fine (and then refused for what it is)
  t.equal((await h.app.inject({ url: `/oauth/callback?code=${'a'.repeat(4000)}&state=x` })).statusCode, 400)
})

t.test('oversized headers are refused by the HTTP server itself (431)', async (t) => {
  const h = await build(t)
  await h.app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = h.app.server.address() as { port: number }
  const status = await new Promise<number>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/healthz', headers: { 'x-padding': 'p'.repeat(20_000) } }, (res) => { res.resume(); resolve(res.statusCode!) })
    req.on('error', reject)
    req.end()
  })
  t.equal(status, 431)
  t.equal((await fetch(`http://127.0.0.1:${port}/healthz`)).status, 200, 'and the server goes on')
})
