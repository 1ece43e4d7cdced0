// Meta's data deletion requests under their confirmation codes. A request is first written by the outbox with
// the event that reports it (outbox-store.ts); later writes (its completion) come through here.
import type { DataDeletionRecord } from './records.js'

export interface DataDeletionStore {
  getDataDeletion (code: string): Promise<DataDeletionRecord | null>
  putDataDeletion (record: DataDeletionRecord, ttlSeconds: number): Promise<void>
}
