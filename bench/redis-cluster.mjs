// A Redis Cluster of three masters for a benchmark, from the machine's redis-server and redis-cli, on free ports in
// a temporary directory; stop() kills each process by its PID and removes the directory. Not a test.
import { execFile, spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'

const run = promisify(execFile)

/** a free port whose cluster bus port (+10000) is in range too */
async function freePort () {
  for (;;) {
    const server = createServer().listen(0, '127.0.0.1')
    await once(server, 'listening')
    const { port } = server.address()
    await new Promise((resolve) => server.close(resolve))
    if (port + 10000 <= 65535) return port
  }
}

const ping = (port) => run('redis-cli', ['-p', String(port), 'PING'], { timeout: 2000 }).then(({ stdout }) => stdout.trim() === 'PONG', () => false)
const clusterOk = (port) => run('redis-cli', ['-p', String(port), 'CLUSTER', 'INFO'], { timeout: 2000 }).then(({ stdout }) => stdout.includes('cluster_state:ok'), () => false)

async function until (check, what) {
  for (let i = 0; i < 200; i++) {
    if (await check()) return
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error(`timed out waiting for ${what}`)
}

export async function startCluster (masters = 3) {
  const dir = mkdtempSync(join(tmpdir(), 'mo-bench-cluster-'))
  const ports = []
  for (let i = 0; i < masters; i++) ports.push(await freePort())
  const children = ports.map((port) => spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no',
    '--dir', dir, '--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${port}.conf`], { stdio: 'ignore' }))
  const stop = async () => {
    await Promise.all(children.filter((c) => c.exitCode === null).map((c) => { c.kill('SIGKILL'); return once(c, 'exit') }))
    rmSync(dir, { recursive: true, force: true })
  }
  try {
    for (const port of ports) await until(() => ping(port), `redis-server on ${port}`)
    await run('redis-cli', ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes'], { timeout: 30_000 })
    for (const port of ports) await until(() => clusterOk(port), 'cluster_state:ok')
  } catch (err) {
    await stop()
    throw err
  }
  return { nodes: ports.map((p) => `127.0.0.1:${p}`).join(','), stop }
}
