// REDIS_TLS with ACL credentials (SPEC §2): a redis-server that speaks TLS only and knows one ACL user, its
// certificate signed by a private CA the service trusts the Node way (NODE_EXTRA_CA_CERTS). The service runs as
// its own process, since Node reads NODE_EXTRA_CA_CERTS at start-up.
import { execFile, spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import t from 'tap'
import { API_KEY, GRANTS, startPeers, testEnv } from '../helper.js'
import { freePort } from '../redis-server.js'
import { spawnService } from '../service-process.js'

const run = promisify(execFile)

/** a CA and a server certificate for 127.0.0.1 and localhost, signed by it */
async function certificates (dir: string): Promise<{ ca: string; cert: string; key: string }> {
  const file = (name: string) => join(dir, name)
  await run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=mo-test-ca', '-keyout', file('ca.key'), '-out', file('ca.pem')])
  await run('openssl', ['req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-keyout', file('server.key'), '-out', file('server.csr')])
  writeFileSync(file('san.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n')
  await run('openssl', ['x509', '-req', '-in', file('server.csr'), '-CA', file('ca.pem'), '-CAkey', file('ca.key'), '-CAcreateserial',
    '-days', '1', '-extfile', file('san.ext'), '-out', file('server.pem')])
  return { ca: file('ca.pem'), cert: file('server.pem'), key: file('server.key') }
}

t.test('TLS only, an ACL user: REDIS_TLS, REDIS_USERNAME and REDIS_PASSWORD reach Redis; the private CA through NODE_EXTRA_CA_CERTS', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'mo-tls-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const { ca, cert, key } = await certificates(dir)
  const port = await freePort()
  const password = 'acl-password-not-in-any-log'
  const redis = spawn('redis-server', ['--port', '0', '--tls-port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no',
    '--tls-cert-file', cert, '--tls-key-file', key, '--tls-ca-cert-file', ca, '--tls-auth-clients', 'no',
    // each word its own argument: redis-server quotes an argument with spaces as one word
    '--user', 'default', 'off', '--user', 'svc', 'on', `>${password}`, '~*', '&*', '+@all'], { stdio: 'ignore' })
  t.teardown(async () => {
    if (redis.exitCode === null && redis.signalCode === null) {
      redis.kill('SIGKILL')
      await once(redis, 'exit')
    }
  })
  const { sim, receiver } = await startPeers(t)
  const env = testEnv(sim, receiver.url, {
    REDIS_URL: `redis://127.0.0.1:${port}`,
    REDIS_TLS: 'true',
    REDIS_USERNAME: 'svc',
    REDIS_PASSWORD: password,
    NODE_EXTRA_CA_CERTS: ca
  })
  // the same redirect URI the service will have
  const service = await spawnService(env)
  t.teardown(() => service.stop('SIGKILL'))
  let ready = 0
  for (let i = 0; i < 50 && ready !== 200; i++) {
    ready = (await fetch(`${service.base}/readyz`)).status
    if (ready !== 200) await new Promise((resolve) => setTimeout(resolve, 100))
  }
  t.equal(ready, 200, 'ready: TLS handshake with the private CA, then AUTH as the ACL user', { output: service.output().split('\n').filter((l) => !l.includes('"msg":"request"')).join('\n').slice(0, 3000) })
  const headers = { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' }
  const created = await (await fetch(`${service.base}/v1/sessions`, { method: 'POST', headers, body: '{"flow":"business_portfolio"}' })).json() as { id: string }
  const res = await fetch(`${service.base}/v1/sessions/${created.id}/code`, { method: 'POST', headers, body: JSON.stringify({ code: sim.issueCode(GRANTS.business_portfolio) }) })
  t.equal(res.status, 200, 'an outcome recorded over TLS')
  await receiver.waitFor((e) => e.some((x) => x.body.data.session_id === created.id), 10_000)
  t.pass('its webhook delivered')
  t.notMatch(service.output(), password, 'the password is in no log line')
})

t.test('without the CA the service does not trust the server: /readyz says so, nothing hangs', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'mo-tls-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const { ca, cert, key } = await certificates(dir)
  const port = await freePort()
  const redis = spawn('redis-server', ['--port', '0', '--tls-port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no',
    '--tls-cert-file', cert, '--tls-key-file', key, '--tls-ca-cert-file', ca, '--tls-auth-clients', 'no'], { stdio: 'ignore' })
  t.teardown(async () => {
    if (redis.exitCode === null && redis.signalCode === null) {
      redis.kill('SIGKILL')
      await once(redis, 'exit')
    }
  })
  const { sim, receiver } = await startPeers(t)
  const service = await spawnService(testEnv(sim, receiver.url, { REDIS_URL: `redis://127.0.0.1:${port}`, REDIS_TLS: 'true' }))
  t.teardown(() => service.stop('SIGKILL'))
  const started = Date.now()
  const res = await fetch(`${service.base}/readyz`)
  t.equal(res.status, 503, 'not ready')
  t.ok(Date.now() - started < 5000, 'answered at once')
})
