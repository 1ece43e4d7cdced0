// Makes one attempt of one delivery and decides what comes next, following WEBHOOK_RETRY_SCHEDULE.
// The queue (delivery-queue.ts) only schedules; every decision about a delivery is taken here.
import type { FastifyBaseLogger } from 'fastify'
import type { NextStep } from '../jobs/job-queue.js'
import type { TokenSealer } from '../lib/token-sealer.js'
import type { Metrics } from '../observability/metrics.js'
import { tracing } from '../observability/tracing.js'
import type { DeliveryStore } from '../store/delivery-store.js'
import type { DeliveryRecord } from '../store/records.js'
import type { WebhookSender } from './webhook-sender.js'

export interface DelivererOptions {
  store: Pick<DeliveryStore, 'getDeliveryWithEvent' | 'putDelivery'>
  sealer: TokenSealer
  sender: WebhookSender
  retryScheduleMs: number[]
  retentionSeconds: number
  metrics: Metrics
  log: FastifyBaseLogger
  now?: () => number
}

/** a receiver's Retry-After is honoured up to a day; beyond that it is a broken header, not a plan */
const MAX_RETRY_AFTER_MS = 24 * 3_600_000

/** the delay before the next attempt: never earlier than the schedule, up to 10% later so retries spread */
export function nextDelay (scheduledMs: number, retryAfterMs = 0, random = Math.random): number {
  const base = Math.max(scheduledMs, Math.min(retryAfterMs, MAX_RETRY_AFTER_MS))
  return Math.round(base + base * 0.1 * random())
}

export class Deliverer {
  readonly #o: DelivererOptions
  readonly #now: () => number

  constructor (options: DelivererOptions) {
    this.#o = options
    this.#now = options.now ?? Date.now
  }

  /** an attempt of a queued delivery: its record and sealed body are read from the store */
  async attempt (eventId: string): Promise<NextStep> {
    const { delivery, sealedEvent: sealed } = await this.#o.store.getDeliveryWithEvent(eventId)
    if (!delivery || delivery.status !== 'pending') return { next: 'done' }
    if (sealed === null) {
      await this.#save({ ...delivery, status: 'dead', last_error: 'event body no longer stored' })
      return { next: 'done' }
    }
    return await this.deliver(delivery, this.#o.sealer.open(sealed, eventId))
  }

  /** one attempt of a pending delivery whose body is in hand, and its result recorded */
  async deliver (delivery: DeliveryRecord, body: string): Promise<NextStep> {
    const { retryScheduleMs, metrics, log } = this.#o
    const eventId = delivery.id
    const attempts = delivery.attempts + 1
    const result = await this.#send(delivery, body, attempts)
    metrics.webhookAttempts.inc({ outcome: result.outcome })
    // event_id is the partner's webhook-id; request_id is the callback's, as in its request log line
    log.info({ event_id: eventId, session_id: delivery.session_id, request_id: delivery.request_id, attempt: attempts, outcome: result.outcome, status: result.status }, 'webhook attempt')

    if (result.outcome === 'delivered') {
      // acknowledged: the only copy of the token goes with this write
      await this.#save({ ...delivery, attempts, status: 'delivered', last_error: null }, true)
      return { next: 'done' }
    }
    const inSchedule = attempts - (delivery.schedule_offset ?? 0)
    const exhausted = inSchedule > retryScheduleMs.length
    if (result.outcome === 'gone' || exhausted) {
      await this.#save({ ...delivery, attempts, status: 'dead', last_error: result.error })
      log.warn({ event_id: eventId, session_id: delivery.session_id, request_id: delivery.request_id, attempts }, 'webhook dead-lettered')
      return { next: 'done' }
    }
    await this.#save({ ...delivery, attempts, last_error: result.error })
    const retryAfterMs = 'retryAfterMs' in result ? result.retryAfterMs : undefined
    return { next: 'retry', delayMs: nextDelay(retryScheduleMs[inSchedule - 1]!, retryAfterMs) }
  }

  /**
   * The attempt's client span, linked to the span that decided the event (and to a redelivery's): the webhook
   * carries its traceparent. It is the child of whatever runs the attempt, the deciding request for a first
   * attempt, a queue job for the others.
   */
  async #send (delivery: DeliveryRecord, body: string, attempt: number) {
    const { sender } = this.#o
    const attributes = {
      'webhook.id': delivery.id,
      'webhook.type': delivery.type,
      'webhook.attempt': attempt,
      'onboarding.session_id': delivery.session_id ?? undefined,
      'http.request.method': 'POST',
      'server.address': sender.server.address,
      'server.port': sender.server.port
    }
    const links = [delivery.traceparent, delivery.redelivery_traceparent]
    return await tracing().span('POST webhook', { kind: 'client', attributes, links }, async (span) => {
      const result = await sender.send(delivery.id, body, span.headers())
      span.set({ 'http.response.status_code': result.status, 'webhook.outcome': result.outcome })
      if (result.outcome !== 'delivered') span.fail(result.status !== undefined ? String(result.status) : result.outcome === 'timeout' ? 'timeout' : 'network')
      return result
    })
  }

  async #save (delivery: DeliveryRecord, dropEvent = false): Promise<void> {
    await this.#o.store.putDelivery({ ...delivery, updated_at: new Date(this.#now()).toISOString() }, this.#o.retentionSeconds, { dropEvent })
  }
}
