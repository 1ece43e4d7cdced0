// Meta's data deletion callback: each request is recorded under a confirmation code together with
// the `meta.data_deletion_requested` event (one atomic write), the person can follow it on a status page, and
// the partner platform marks it completed once it has deleted the data. "Acknowledged" is the moment the
// partner answered the event's webhook with 2xx, read from the event's delivery.
import type { Config } from '../config/config.js'
import { ProblemError } from '../lib/problems.js'
import { verifySignedRequest } from '../meta/signed-request.js'
import type { Outbox } from '../outbox/outbox.js'
import type { DataDeletionStore } from '../store/data-deletion-store.js'
import type { DeliveryStore } from '../store/delivery-store.js'
import type { DataDeletionRecord } from '../store/records.js'
import { dataDeletionRequestedEvent } from '../webhooks/meta-events.js'
import { CONFIRMATION_CODE, newConfirmationCode } from './confirmation-code.js'

export interface DataDeletionsDeps {
  config: Pick<Config, 'publicBaseUrl' | 'retentionSeconds'> & { meta: Pick<Config['meta'], 'appSecret'> }
  store: DataDeletionStore
  /** the request's event: its delivery says when the partner acknowledged it */
  deliveries: Pick<DeliveryStore, 'getDelivery'>
  outbox: Outbox
  now: () => number
}

/** what the partner API and the status page show of a request */
export interface DataDeletionView {
  confirmation_code: string
  status: DataDeletionRecord['status']
  user_id: string
  issued_at: number
  received_at: string
  acknowledged_at: string | null
  completed_at: string | null
  status_url: string
}

export class DataDeletions {
  constructor (private readonly deps: DataDeletionsDeps) {}

  statusUrl (code: string): string { return `${this.deps.config.publicBaseUrl}/meta/data-deletion/${code}` }

  /** POST /meta/data-deletion: the answer Meta expects, `{url, confirmation_code}` */
  async request (signedRequest: string, requestId?: string): Promise<{ url: string; confirmation_code: string }> {
    const { config, outbox, now } = this.deps
    const payload = verifySignedRequest(signedRequest, config.meta.appSecret)
    const code = newConfirmationCode()
    const at = now()
    const event = dataDeletionRequestedEvent(payload, code, this.statusUrl(code), at)
    const record: DataDeletionRecord = {
      confirmation_code: code,
      user_id: payload.user_id,
      issued_at: payload.issued_at,
      received_at: new Date(at).toISOString(),
      event_id: event.id,
      status: 'received',
      acknowledged_at: null,
      completed_at: null
    }
    await outbox.recordEvents([event], { dataDeletion: record, requestId })
    return { url: this.statusUrl(code), confirmation_code: code }
  }

  /** the request as it stands; `data_deletion_not_found` for an unknown code or one past its retention */
  async status (code: string): Promise<DataDeletionView> {
    return this.#view(await this.#find(code))
  }

  /** POST /v1/data-deletions/{code}: the partner deleted the data. Marking it again changes nothing. */
  async complete (code: string): Promise<DataDeletionView> {
    const record = await this.#find(code)
    if (record.status === 'completed') return this.#view(record)
    const completed: DataDeletionRecord = {
      ...record,
      status: 'completed',
      completed_at: new Date(this.deps.now()).toISOString(),
      // kept with the request from now on: the delivery record may expire before it
      acknowledged_at: await this.#acknowledgedAt(record)
    }
    // kept for the retention period from its completion, so the person can still read that it was done
    await this.deps.store.putDataDeletion(completed, this.deps.config.retentionSeconds)
    return this.#view(completed)
  }

  async #find (code: string): Promise<DataDeletionRecord> {
    const record = CONFIRMATION_CODE.test(code) ? await this.deps.store.getDataDeletion(code) : null
    if (!record) throw new ProblemError('data_deletion_not_found', 'No data deletion request has this confirmation code.')
    return record
  }

  async #acknowledgedAt (record: DataDeletionRecord): Promise<string | null> {
    if (record.acknowledged_at) return record.acknowledged_at
    const delivery = await this.deps.deliveries.getDelivery(record.event_id)
    // a delivered delivery is written once, when the partner answered 2xx: its updated_at is that moment
    return delivery?.status === 'delivered' ? delivery.updated_at : null
  }

  async #view (record: DataDeletionRecord): Promise<DataDeletionView> {
    return {
      confirmation_code: record.confirmation_code,
      status: record.status,
      user_id: record.user_id,
      issued_at: record.issued_at,
      received_at: record.received_at,
      acknowledged_at: await this.#acknowledgedAt(record),
      completed_at: record.completed_at,
      status_url: this.statusUrl(record.confirmation_code)
    }
  }
}
