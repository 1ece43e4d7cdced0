// `npm run sandbox`: starts the sandbox and prints the one URL to open. PORT, REDIS_URL, LOG_LEVEL and
// DELIVER_PAGE_TOKENS=true are honoured; SANDBOX_TRACES=1 also prints each finished onboarding's spans as a tree;
// everything else is the sandbox's own.
try {
  // tracing starts before the sandbox (and so the app) is imported, as server.ts does it
  const traces = process.env.SANDBOX_TRACES === '1'
    ? await (await import('./sandbox-traces.js')).startTracePrinter((text) => process.stdout.write(text))
    : undefined
  const { startSandbox } = await import('./sandbox.js')
  const sandbox = await startSandbox({
    port: process.env.PORT ? Number(process.env.PORT) : 3000,
    redisUrl: process.env.REDIS_URL || undefined,
    logLevel: process.env.LOG_LEVEL,
    deliverPageTokens: process.env.DELIVER_PAGE_TOKENS === 'true'
  })
  process.stdout.write(`\nmessenger-onboarding sandbox — Meta is simulated; nothing calls the real Meta.\n\n  Open ${sandbox.url}\n\n` +
    `  service ${sandbox.config.publicBaseUrl} · simulated Meta ${sandbox.meta.url} · store: ${sandbox.config.redis ? 'Redis' : 'in-process'} · Ctrl-C to stop\n` +
    (traces ? '  traces: each finished onboarding\'s spans are printed below as a tree\n' : ''))
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, async () => {
      await sandbox.close()
      await traces?.close()
      process.exit(0)
    })
  }
} catch (err) {
  process.stderr.write(`${(err as Error).message}\n`)
  process.exit(1)
}
