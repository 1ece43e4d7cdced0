// The stores as the service holds them: one narrow interface per kind of record, all on the same Redis (or the
// same process), and the health of what lies beneath. Each part of the service takes only the store it uses.
import type { DataDeletionStore } from './data-deletion-store.js'
import type { DeliveryStore } from './delivery-store.js'
import type { OutboxStore } from './outbox-store.js'
import type { SessionStore } from './session-store.js'

export interface Stores {
  readonly kind: 'redis' | 'memory'
  sessions: SessionStore
  deliveries: DeliveryStore
  dataDeletions: DataDeletionStore
  outbox: OutboxStore
  /** resolves with the round-trip time in ms; rejects when the store does not answer */
  ping (): Promise<number>
  close (): Promise<void>
}
