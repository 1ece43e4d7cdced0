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
  constructor (readonly port: number) {}

  static async create (): Promise<RedisServer> { return new RedisServer(await freePort()) }

  get url (): string { return `redis://127.0.0.1:${this.port}` }

  async start (): Promise<void> {
    this.#process = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' })
    const probe = new Redis(this.url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null })
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

  async stop (): Promise<void> {
    const child = this.#process
    this.#process = null
    if (!child || child.exitCode !== null) return
    child.kill('SIGKILL')
    await once(child, 'exit')
  }
}
