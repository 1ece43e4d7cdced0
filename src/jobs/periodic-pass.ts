// A pass that runs at start-up and then every interval in every instance (the sweeps that re-queue what an
// instance left behind), never two at once in one instance, and whose failure is logged and waited out.
import type { FastifyBaseLogger } from 'fastify'

export abstract class PeriodicPass {
  #timer: NodeJS.Timeout | undefined
  #running: Promise<number> | undefined

  constructor (private readonly schedule: { intervalMs: number; log: FastifyBaseLogger; name: string }) {}

  /** one pass: resolves with how many things it queued */
  protected abstract pass (): Promise<number>

  start (): void {
    this.run()
    this.#timer = setInterval(() => { this.run() }, this.schedule.intervalMs)
    this.#timer.unref()
  }

  /** one pass now, or the one already running */
  run (): Promise<number> {
    this.#running ??= this.pass().catch((err: unknown) => {
      this.schedule.log.warn({ err }, `${this.schedule.name} could not run`)
      return 0
    }).finally(() => { this.#running = undefined })
    return this.#running
  }

  async stop (): Promise<void> {
    clearInterval(this.#timer)
    await this.#running
  }
}
