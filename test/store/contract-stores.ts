// What the store contract tests share: the two implementations made fresh per case (memory on a clock the test
// moves, Redis on a key prefix of its own with real TTLs), and factories for realistic records.
import { randomBytes } from 'node:crypto'
import type { Test } from 'tap'
import type { Cluster, Redis } from 'ioredis'
import { FLOW_NAMES, type FlowName } from '../../src/flows/flows.js'
import { newEventId } from '../../src/lib/ids.js'
import { memoryStores } from '../../src/store/memory/memory-stores.js'
import type { OutcomeWrite } from '../../src/store/outbox-store.js'
import type { DataDeletionRecord, DeliveryRecord, SessionRecord, SessionResult } from '../../src/store/records.js'
import { redisStores } from '../../src/store/redis/redis-stores.js'
import type { Stores } from '../../src/store/stores.js'
import { CONFIG_IDS, deleteKeys } from '../helper.js'

export interface Made {
  stores: Stores
  /** lets `ms` pass for the store's TTLs: the memory store's clock moves, Redis is waited for */
  advance (ms: number): Promise<void>
}
export type Make = (t: Test) => Promise<Made>

export const memoryMake: Make = async (t) => {
  let now = Date.now()
  const stores = memoryStores(() => now)
  t.teardown(() => stores.close())
  return { stores, advance: async (ms) => { now += ms } }
}

let counter = 0

export function redisMake (redis: Redis | Cluster): (t: Test) => Promise<Made & { prefix: string }> {
  return async (t) => {
    const prefix = `mo-test:store:${process.pid}:${++counter}:`
    await deleteKeys(redis, prefix)
    t.teardown(() => deleteKeys(redis, prefix))
    const stores = redisStores(redis, prefix)
    t.teardown(() => stores.close())
    return { stores, prefix, advance: (ms) => new Promise<void>((resolve) => setTimeout(resolve, ms)) }
  }
}

export const hex = (bytes: number): string => randomBytes(bytes).toString('hex')
export const iso = (ms: number): string => new Date(ms).toISOString()
export const sessionId = (): string => `ses_${hex(16)}`
export const eventId = (): string => `evt_${hex(16)}`
/**
 * the events that one step records together are created near one another, as the service's are (newEventId):
 * on a cluster their records must share a group. A batch's events and data deletion take this one's digit.
 */
const BATCH = eventId()
/** record timestamps are fixed, not the clock: nothing in the contract reads them against the current time */
export const T0 = Date.parse('2025-06-02T09:30:00.000Z')
export const TTL = 3600

// an empty array and objects nested in arrays: the shapes a Lua rewrite through cjson would not keep
export const METADATA = { plan: 'pro', tags: [], owner: { seats: [{ id: 7, roles: [] }], note: null } }

const RESULT: SessionResult = {
  business_id: '1234567890',
  system_user_id: '61550000000001',
  user_id: null,
  page_ids: ['1122334455'],
  ad_account_ids: [],
  billing_ad_account_id: null,
  token_type: 'system_user',
  token_expires_at: null,
  scopes: ['ads_management', 'pages_messaging', 'paid_marketing_messages']
}

/** a pending session created with a flow */
export const session = (over: Partial<SessionRecord> = {}): SessionRecord => ({
  id: sessionId(),
  flow: 'business_portfolio',
  status: 'pending',
  external_id: 'tenant-42',
  metadata: { plan: 'pro' },
  return_url: 'https://app.example.com/done',
  config_id: CONFIG_IDS.business_portfolio,
  created_at: iso(T0),
  expires_at: iso(T0 + 3_600_000),
  completed_at: null,
  result: null,
  error: null,
  event_id: null,
  ...over
})

/** a session waiting for the admin to choose its flow */
export const unchosen = (over: Partial<SessionRecord> = {}): SessionRecord =>
  session({ flow: null, flows: [...FLOW_NAMES], config_id: null, ...over })

export const chosenAs = (s: SessionRecord, flow: FlowName): SessionRecord => ({ ...s, flow, config_id: CONFIG_IDS[flow] })

export const delivery = (over: Partial<DeliveryRecord> = {}): DeliveryRecord => ({
  id: eventId(),
  type: 'meta.deauthorized',
  session_id: null,
  status: 'pending',
  attempts: 0,
  last_error: null,
  created_at: iso(T0),
  updated_at: iso(T0),
  ...over
})

/** stands for a sealed webhook body: opaque text the stores keep as it is */
export const sealed = (id: string): string => `v1.${id.slice(4, 12)}.${randomBytes(48).toString('base64url')}`

/** an event as the outbox writes it: a pending delivery created at `createdAt`, and its sealed body */
export function pending (createdAt: number): { delivery: DeliveryRecord; sealedEvent: string } {
  const d = delivery({ id: newEventId(BATCH), created_at: iso(createdAt), updated_at: iso(createdAt) })
  return { delivery: d, sealedEvent: sealed(d.id) }
}

export const dataDeletion = (over: Partial<DataDeletionRecord> = {}): DataDeletionRecord => ({
  confirmation_code: hex(10).slice(0, -1) + BATCH.slice(-1),
  user_id: '10222270944537964',
  issued_at: Math.floor(T0 / 1000),
  received_at: iso(T0),
  event_id: eventId(),
  status: 'received',
  acknowledged_at: null,
  completed_at: null,
  ...over
})

/** a session's outcome as the outbox writes it: the decided session, its event's delivery and sealed body */
export function outcome (s: SessionRecord): OutcomeWrite {
  const d = delivery({ id: newEventId(s.id), type: 'onboarding.completed', session_id: s.id, request_id: 'req-7f3a9c' })
  return {
    session: { ...s, status: 'completed', completed_at: iso(T0 + 60_000), result: RESULT, event_id: d.id },
    delivery: d,
    sealedEvent: sealed(d.id),
    retentionSeconds: TTL
  }
}
