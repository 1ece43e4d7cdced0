// Start-up with a bad configuration, as a real process: it names every offending variable on stderr, prints no
// secret value and no stack trace, and exits non-zero without ever listening.
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { createServer, connect } from 'node:net'
import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { APP_SECRET } from '../helper.js'
import { env } from './config-fixtures.js'

async function freePort (): Promise<number> {
  const server = createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as AddressInfo
  await new Promise((resolve) => server.close(resolve))
  return port
}

async function accepts (port: number): Promise<boolean> {
  return await new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1')
    socket.once('connect', () => { socket.destroy(); resolve(true) })
    socket.once('error', () => resolve(false))
  })
}

t.test('start-up with a bad configuration: a real process names every variable and exits without listening', async (t) => {
  const root = fileURLToPath(new URL('../..', import.meta.url))
  const port = await freePort()
  const cookieSecret = 'cookie-TOO-short-93xq'
  const apiKey = 'short-partner-key-71kw'
  // only what the process needs to run, and no configuration of this shell
  const childEnv: NodeJS.ProcessEnv = {}
  for (const [name, value] of Object.entries(process.env)) {
    if (!(name in env()) && !['PORT', 'HOST', 'REDIS_URL'].includes(name)) childEnv[name] = value
  }
  Object.assign(childEnv, env({
    META_APP_SECRET: undefined,
    WEBHOOK_SECRET: undefined,
    COOKIE_SECRET: cookieSecret,
    PARTNER_API_KEYS: apiKey,
    PORT: String(port),
    HOST: '127.0.0.1'
  }))
  delete childEnv.META_APP_SECRET
  delete childEnv.WEBHOOK_SECRET

  const started = Date.now()
  const child = spawn(process.execPath, [...process.execArgv, 'src/server.ts'], { cwd: root, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString('utf8') })
  child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString('utf8') })
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000)
  const [code, signal] = await once(child, 'exit') as [number | null, NodeJS.Signals | null]
  clearTimeout(timer)
  t.comment(`exited after ${Date.now() - started} ms`)

  t.equal(signal, null, 'exited on its own, not killed after the deadline')
  t.not(code, 0, 'exit code non-zero')
  t.not(code, null)
  for (const name of ['META_APP_SECRET', 'WEBHOOK_SECRET', 'COOKIE_SECRET', 'PARTNER_API_KEYS']) {
    t.match(stderr, name, `stderr names ${name}`)
  }
  t.match(stderr, /Invalid configuration/)
  for (const secret of [cookieSecret, apiKey, APP_SECRET, Buffer.alloc(32, 7).toString('base64')]) {
    t.notOk(stderr.includes(secret) || stdout.includes(secret), 'no secret value printed')
  }
  t.notMatch(stderr, /\n\s+at .+:\d+:\d+/, 'no stack trace')
  t.notMatch(stdout, /listening/i, 'never listened')
  t.equal(await accepts(port), false, 'nothing accepts connections on its port')
})
