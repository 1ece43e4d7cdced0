// Shared by the Chromium tests: the sandbox on free ports and Debian's headless Chromium, started before the
// file's tests and closed after them, and where their screenshots go (test-artifacts/sandbox/, ignored by git).
import { mkdirSync } from 'node:fs'
import type { Test } from 'tap'
import { chromium, type Browser } from 'playwright-core'
import { startSandbox, type Sandbox, type SandboxOptions } from '../../src/sandbox/sandbox.js'

export const ARTIFACTS = new URL('../../test-artifacts/sandbox/', import.meta.url).pathname
mkdirSync(ARTIFACTS, { recursive: true })

export interface SandboxChromium { sandbox: Sandbox; browser: Browser }

/** the returned object is filled in by `t.before`: read its fields inside tests, not at the top level */
export function sandboxInChromium (t: Test, options: SandboxOptions = {}): SandboxChromium {
  const env = {} as SandboxChromium
  t.before(async () => {
    env.sandbox = await startSandbox({ port: 0, logLevel: 'silent', ...options })
    env.browser = await chromium.launch({
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      // the machine's network is closed: Chromium's own background traffic is turned off
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']
    })
  })
  t.teardown(async () => {
    await env.browser?.close()
    await env.sandbox?.close()
  })
  return env
}
