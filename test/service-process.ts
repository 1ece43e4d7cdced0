// The service as its own process (src/server.ts run with tap's TypeScript loader), for tests that kill it.
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { freePort } from './redis-server.js'

export interface ServiceProcess {
  base: string
  child: ChildProcess
  output: () => string
  /** resolves with the exit code */
  stop: (signal: NodeJS.Signals) => Promise<number | null>
}

/** `nodeArgs`: more options of node, after the test runner's own (e.g. an --import that must come after its loader) */
export async function spawnService (env: NodeJS.ProcessEnv, port?: number, nodeArgs: string[] = []): Promise<ServiceProcess> {
  // a probed free port may be taken by another socket before the service binds it: then it starts again elsewhere
  for (let attempt = 1; ; attempt++) {
    try {
      return await spawnOn(env, port ?? await freePort(), nodeArgs)
    } catch (err) {
      if (port !== undefined || attempt === 3 || !/EADDRINUSE/.test((err as Error).message)) throw err
    }
  }
}

async function spawnOn (env: NodeJS.ProcessEnv, listenPort: number, nodeArgs: string[]): Promise<ServiceProcess> {
  const base = `http://127.0.0.1:${listenPort}`
  const child = spawn(process.execPath, [...process.execArgv, ...nodeArgs, 'src/server.ts'], {
    env: { ...process.env, ...env, PORT: String(listenPort), HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let output = ''
  child.stdout!.on('data', (chunk) => { output += chunk })
  child.stderr!.on('data', (chunk) => { output += chunk })
  let healthy = false
  for (let i = 0; i < 300 && !healthy; i++) {
    if (child.exitCode !== null) throw new Error(`service exited at start-up: ${output}`)
    healthy = await fetch(`${base}/healthz`).then((r) => r.ok, () => false)
    if (!healthy) await new Promise((resolve) => setTimeout(resolve, 100))
  }
  // a test must not go on against something that is not the service
  if (!healthy || child.exitCode !== null) {
    child.kill('SIGKILL')
    throw new Error(`service did not answer /healthz within 30 s: ${output}`)
  }
  return {
    base,
    child,
    output: () => output,
    stop: async (signal) => {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode
      child.kill(signal)
      const [code] = await once(child, 'exit')
      return code as number | null
    }
  }
}
