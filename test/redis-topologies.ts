// Real Redis topologies of a test's own, from the machine's redis-server: a Redis Cluster of three masters formed
// with `redis-cli --cluster create`, and a master with a replica watched by three sentinels. Every process is
// started on free ports in a temporary directory and stopped by its process ID in the test's teardown.
import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import type { Test } from 'tap'
import { Cluster, Redis } from 'ioredis'
import { freePort } from './redis-server.js'

const run = promisify(execFile)

/** one redis-server (or sentinel) process */
class RedisProcess {
  #child: ChildProcess | null = null
  constructor (readonly port: number, private readonly args: string[]) {}

  async start (): Promise<void> {
    this.#child = spawn('redis-server', this.args, { stdio: 'ignore' })
    await waitFor(async () => (await cli(this.port, 'PING')) === 'PONG', `redis-server on ${this.port}`)
  }

  get running (): boolean { return this.#child !== null && this.#child.exitCode === null && this.#child.signalCode === null }

  async stop (signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.#child
    this.#child = null
    if (!child || child.exitCode !== null || child.signalCode !== null) return
    child.kill(signal)
    await once(child, 'exit')
  }
}

async function cli (port: number, ...args: string[]): Promise<string> {
  try {
    const { stdout } = await run('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args], { timeout: 5000 })
    return stdout.trim()
  } catch {
    return ''
  }
}

export async function waitFor (check: () => Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (await check()) return
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error(`timed out waiting for ${what}`)
}

const BASE = ['--bind', '127.0.0.1', '--save', '', '--appendonly', 'no']

/** each port of a cluster node has its bus port at +10000: both must be free */
async function clusterPort (): Promise<number> {
  for (;;) {
    const port = await freePort()
    if (port + 10000 <= 65535) return port
  }
}

export interface RedisClusterProcesses {
  ports: number[]
  /** REDIS_CLUSTER_NODES for the service */
  nodes: string
  /** a client of the cluster, closed in teardown */
  client: () => Cluster
}

/** three masters, no replicas, every slot assigned: `redis-cli --cluster create`, as an operator would */
export async function startCluster (t: Test, masters = 3): Promise<RedisClusterProcesses> {
  const dir = mkdtempSync(join(tmpdir(), 'mo-cluster-'))
  const ports = await Promise.all(Array.from({ length: masters }, clusterPort))
  const processes = ports.map((port) => new RedisProcess(port, ['--port', String(port), ...BASE, '--dir', dir,
    '--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${port}.conf`, '--cluster-node-timeout', '2000']))
  t.teardown(async () => {
    await Promise.all(processes.map((p) => p.stop()))
    rmSync(dir, { recursive: true, force: true })
  })
  await Promise.all(processes.map((p) => p.start()))
  await run('redis-cli', ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes'], { timeout: 30_000 })
  await waitFor(async () => (await Promise.all(ports.map((p) => cli(p, 'CLUSTER', 'INFO')))).every((info) => info.includes('cluster_state:ok')), 'cluster_state:ok')
  const clients: Cluster[] = []
  t.teardown(() => { for (const c of clients) c.disconnect() })
  return {
    ports,
    nodes: ports.map((p) => `127.0.0.1:${p}`).join(','),
    client: () => {
      const c = new Cluster(ports.map((port) => ({ host: '127.0.0.1', port })), { redisOptions: { maxRetriesPerRequest: 1 } })
      clients.push(c)
      return c
    }
  }
}

export interface SentinelProcesses {
  master: RedisProcess
  replica: RedisProcess
  sentinels: RedisProcess[]
  /** REDIS_SENTINELS for the service */
  sentinelList: string
  name: string
  /** the port of the master the sentinels name now */
  currentMasterPort: () => Promise<number | null>
}

/** a master, its replica, and three sentinels with a quorum of two that fail over within seconds */
export async function startSentinels (t: Test, name = 'mo-master'): Promise<SentinelProcesses> {
  const dir = mkdtempSync(join(tmpdir(), 'mo-sentinel-'))
  const [masterPort, replicaPort, ...sentinelPorts] = await Promise.all(Array.from({ length: 5 }, () => freePort())) as [number, number, ...number[]]
  const master = new RedisProcess(masterPort, ['--port', String(masterPort), ...BASE, '--dir', dir])
  const replica = new RedisProcess(replicaPort, ['--port', String(replicaPort), ...BASE, '--dir', dir, '--replicaof', '127.0.0.1', String(masterPort)])
  const sentinels = sentinelPorts.map((port) => {
    // a sentinel rewrites its configuration file: each needs one of its own
    const file = join(dir, `sentinel-${port}.conf`)
    writeFileSync(file, [
      `port ${port}`, 'bind 127.0.0.1', `dir ${dir}`,
      `sentinel monitor ${name} 127.0.0.1 ${masterPort} 2`,
      `sentinel down-after-milliseconds ${name} 1000`,
      `sentinel failover-timeout ${name} 5000`,
      `sentinel parallel-syncs ${name} 1`
    ].join('\n') + '\n')
    return new RedisProcess(port, [file, '--sentinel'])
  })
  const all = [master, replica, ...sentinels]
  t.teardown(async () => {
    await Promise.all(all.map((p) => p.stop()))
    rmSync(dir, { recursive: true, force: true })
  })
  await master.start()
  await replica.start()
  await waitFor(async () => (await cli(replicaPort, 'INFO', 'replication')).includes('master_link_status:up'), 'the replica in sync')
  await Promise.all(sentinels.map((s) => s.start()))
  // every sentinel knows the replica and the other sentinels before the test relies on a failover
  await waitFor(async () => (await Promise.all(sentinelPorts.map((p) => cli(p, 'SENTINEL', 'MASTER', name)))).every((info) => {
    const fields = info.split('\n')
    const value = (key: string) => fields[fields.indexOf(key) + 1]
    return value('num-slaves') === '1' && value('num-other-sentinels') === '2'
  }), 'the sentinels to know the replica and one another')
  return {
    master,
    replica,
    sentinels,
    name,
    sentinelList: sentinelPorts.map((p) => `127.0.0.1:${p}`).join(','),
    currentMasterPort: async () => {
      const answer = (await cli(sentinelPorts[0]!, 'SENTINEL', 'GET-MASTER-ADDR-BY-NAME', name)).split('\n')
      return answer.length === 2 ? Number(answer[1]) : null
    }
  }
}

/** a plain client of one node (e.g. to look at what a cluster node holds) */
export function nodeClient (t: Test, port: number): Redis {
  const redis = new Redis(port, '127.0.0.1', { maxRetriesPerRequest: 1 })
  redis.on('error', () => {}) // a node the test stops refuses the reconnections: expected
  t.teardown(() => redis.disconnect())
  return redis
}
