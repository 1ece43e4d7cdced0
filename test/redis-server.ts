// A redis-server of a test's own, on a free port, so a test can stop and restart it without touching
// the shared one.
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { createServer } from 'node:net'
import { Redis } from 'ioredis'

export async function freePort (): Promise<number> {
  const server = createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}

export class RedisServer {
  #process: ChildProcess | null = null
  /** `dir`: keep data on disk there (append-only, fsync always), so a restart finds it again */
  constructor (readonly port: number, private readonly dir?: string) {}

  static async create (dir?: string): Promise<RedisServer> { return new RedisServer(await freePort(), dir) }

  get url (): string { return `redis://127.0.0.1:${this.port}` }

  async start (): Promise<void> {
    const persistence = this.dir ? ['--appendonly', 'yes', '--appendfsync', 'always', '--dir', this.dir] : ['--appendonly', 'no']
    this.#process = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', ...persistence], { stdio: 'ignore' })
    const probe = new Redis(this.url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null })
    probe.on('error', () => {}) // refused until the server is up: expected
    for (let i = 0; i < 100; i++) {
      try {
        await probe.connect()
        await probe.ping()
        probe.disconnect()
        return
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 50))
      }
    }
    probe.disconnect()
    throw new Error(`redis-server did not start on port ${this.port}`)
  }

  async stop (signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.#process
    this.#process = null
    if (!child || child.exitCode !== null) return
    child.kill(signal)
    await once(child, 'exit')
  }
}
