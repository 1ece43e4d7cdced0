// Deliveries of webhook events and their sealed bodies, indexed by status. A delivery is first written by the
// outbox (outbox-store.ts) together with what it reports; from then on only the deliverer and the partner API
// change it, through this interface.
import type { DeliveryCursor, DeliveryRecord, DeliveryStatus } from './records.js'

export interface DeliveryStats { pending: number; dead: number; oldestPendingCreatedAt: number | null }

export interface DeliveryStore {
  getDelivery (id: string): Promise<DeliveryRecord | null>
  /** the delivery and its sealed event body, read together */
  getDeliveryWithEvent (id: string): Promise<{ delivery: DeliveryRecord | null; sealedEvent: string | null }>
  /** writes the delivery and moves it to the index of its status; `dropEvent` deletes the sealed body with it */
  putDelivery (delivery: DeliveryRecord, ttlSeconds: number, options?: { dropEvent?: boolean }): Promise<void>
  /** the IDs and creation times of a page, oldest first, from the index alone (what the outbox sweep needs) */
  listDeliveryIds (status: DeliveryStatus, limit: number, after?: DeliveryCursor): Promise<{ items: DeliveryCursor[]; next: DeliveryCursor | null }>
  /** oldest `created_at` first; `after` is the last item of the previous page */
  listDeliveries (status: DeliveryStatus, limit: number, after?: DeliveryCursor): Promise<{ items: DeliveryRecord[]; next: DeliveryCursor | null }>
  deliveryStats (): Promise<DeliveryStats>
  /** forgets index entries of deliveries finished before `olderThan` (their records expire by TTL) */
  trimDeliveryIndexes (olderThan: number): Promise<void>
}
