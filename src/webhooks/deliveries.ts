// What the partner API shows of deliveries and lets an operator do with them (/v1/deliveries).
import { ProblemError } from '../lib/problems.js'
import { tracing } from '../observability/tracing.js'
import type { DeliveryStore } from '../store/delivery-store.js'
import type { DeliveryCursor, DeliveryRecord, DeliveryStatus } from '../store/records.js'
import type { JobQueue } from '../jobs/job-queue.js'

/** the delivery object of the API: the record without its internal bookkeeping */
function deliveryView (d: DeliveryRecord) {
  return { id: d.id, type: d.type, session_id: d.session_id, status: d.status, attempts: d.attempts, last_error: d.last_error, created_at: d.created_at, updated_at: d.updated_at }
}

// The cursor is opaque to partners; inside it is the position of the last item of the page.
const encodeCursor = (c: DeliveryCursor): string => Buffer.from(JSON.stringify([c.createdAt, c.id])).toString('base64url')

function decodeCursor (text: string): DeliveryCursor {
  try {
    const [createdAt, id] = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as unknown[]
    if (typeof createdAt === 'number' && Number.isFinite(createdAt) && typeof id === 'string' && id.length <= 64) return { createdAt, id }
  } catch {}
  throw new ProblemError('invalid_request', 'cursor is not one this service issued', { errors: [{ field: 'cursor', message: 'invalid cursor' }] })
}

export class Deliveries {
  constructor (
    private readonly store: Pick<DeliveryStore, 'listDeliveries' | 'getDeliveryWithEvent' | 'putDelivery'>,
    private readonly queue: JobQueue,
    private readonly retentionSeconds: number,
    private readonly now: () => number
  ) {}

  async list (status: DeliveryStatus, limit: number, cursor?: string) {
    const { items, next } = await this.store.listDeliveries(status, limit, cursor === undefined ? undefined : decodeCursor(cursor))
    return { data: items.map(deliveryView), next_cursor: next ? encodeCursor(next) : null }
  }

  /** a dead delivery goes back to the queue with a fresh retry schedule, the same event ID and body */
  async redeliver (id: string) {
    const { delivery, sealedEvent } = await this.store.getDeliveryWithEvent(id)
    if (!delivery) throw new ProblemError('delivery_not_found', `No delivery ${id.slice(0, 64)}`)
    if (delivery.status !== 'dead') throw new ProblemError('delivery_not_dead', `Delivery ${id} is ${delivery.status}`)
    if (sealedEvent === null) throw new ProblemError('delivery_not_found', `The event of delivery ${id} is past its retention`)
    // the redelivering request is what the next attempts follow from, besides the decision
    const traceparent = tracing().traceparent()
    const revived: DeliveryRecord = {
      ...delivery,
      status: 'pending',
      schedule_offset: delivery.attempts,
      updated_at: new Date(this.now()).toISOString(),
      ...(traceparent ? { redelivery_traceparent: traceparent } : {})
    }
    await this.store.putDelivery(revived, this.retentionSeconds)
    await this.queue.add(id)
    return deliveryView(revived)
  }
}
