// openapi.yaml is hand-written and is the published contract: this fails when a route, a method or a
// problem code of the running app and the file disagree.
import { readFileSync } from 'node:fs'
import type { InjectOptions } from 'fastify'
import t from 'tap'
import { parse } from 'yaml'
import { PROBLEMS } from '../src/lib/problems.js'
import { build } from './helper.js'

const spec = parse(readFileSync(new URL('../openapi.yaml', import.meta.url), 'utf8'))
const METHODS = ['get', 'post', 'put', 'patch', 'delete']

t.test('every route of the app is in openapi.yaml, and every operation of the file is served', async (t) => {
  const h = await build(t)
  const served = new Set(h.routes.map((r) => `${r.method} ${r.url.replace(/:([A-Za-z_]+)/g, '{$1}')}`))
  const documented = new Set<string>()
  for (const [path, item] of Object.entries<Record<string, unknown>>(spec.paths)) {
    for (const method of METHODS) if (item[method]) documented.add(`${method.toUpperCase()} ${path}`)
  }
  t.same([...served].filter((r) => !documented.has(r)), [], 'served but not documented')
  t.same([...documented].filter((r) => !served.has(r)), [], 'documented but not served')
})

t.test('every problem code a route can answer is documented', async (t) => {
  const text = readFileSync(new URL('../openapi.yaml', import.meta.url), 'utf8')
  const undocumented = Object.keys(PROBLEMS)
    .filter((code) => code !== 'internal_error')
    .filter((code) => !text.includes(code))
  t.same(undocumented, [])
})

t.test('documented statuses are the ones the routes answer', async (t) => {
  const h = await build(t)
  const statuses = (path: string, method: string) => Object.keys(spec.paths[path][method].responses)
  // probe each operation with what makes it answer each documented family
  const probes: Array<[string, string, InjectOptions, number]> = [
    ['/v1/sessions', 'post', { method: 'POST', url: '/v1/sessions' }, 401],
    ['/v1/sessions/{id}', 'get', { method: 'GET', url: '/v1/sessions/ses_00000000000000000000000000000000', headers: { authorization: `Bearer ${h.config.partnerApiKeys[0]}` } }, 404],
    ['/login/{session_id}', 'get', { method: 'GET', url: '/login/ses_00000000000000000000000000000000' }, 404],
    ['/oauth/callback', 'get', { method: 'GET', url: '/oauth/callback' }, 400],
    ['/healthz', 'get', { method: 'GET', url: '/healthz' }, 200],
    ['/readyz', 'get', { method: 'GET', url: '/readyz' }, 200],
    ['/metrics', 'get', { method: 'GET', url: '/metrics' }, 200],
    ['/meta/deauthorize', 'post', { method: 'POST', url: '/meta/deauthorize', headers: { 'content-type': 'application/json' }, payload: '{}' }, 415],
    ['/meta/data-deletion', 'post', { method: 'POST', url: '/meta/data-deletion', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'signed_request=a.b' }, 400],
    ['/meta/data-deletion/{code}', 'get', { method: 'GET', url: '/meta/data-deletion/AAAAAAAAAAAAAAAAAAAAAAAA' }, 404],
    ['/meta/webhooks', 'get', { method: 'GET', url: '/meta/webhooks?hub.mode=subscribe&hub.verify_token=x&hub.challenge=1' }, 403],
    ['/meta/webhooks', 'post', { method: 'POST', url: '/meta/webhooks', headers: { 'content-type': 'application/json' }, payload: '{}' }, 401],
    ['/v1/data-deletions/{code}', 'post', { method: 'POST', url: '/v1/data-deletions/AAAAAAAAAAAAAAAAAAAAAAAA', headers: { authorization: `Bearer ${h.config.partnerApiKeys[0]}` }, payload: { status: 'completed' } }, 404]
  ]
  for (const [path, method, request, expected] of probes) {
    const res = await h.app.inject(request)
    t.equal(res.statusCode, expected, `${method} ${path}`)
    t.ok(statuses(path, method).includes(String(expected)), `${method} ${path} documents ${expected}`)
  }
})
