// Data deletion requests in Redis, each a JSON record under its confirmation code.
import type { RedisConnection } from './redis-client.js'
import type { DataDeletionStore } from '../data-deletion-store.js'
import type { DataDeletionRecord } from '../records.js'
import { guard, parse, type RedisKeys } from './redis-common.js'

export class RedisDataDeletionStore implements DataDeletionStore {
  constructor (private readonly redis: RedisConnection, private readonly keys: RedisKeys) {}

  async getDataDeletion (code: string): Promise<DataDeletionRecord | null> {
    return parse(await guard(this.redis.get(this.keys.dataDeletion(code))))
  }

  async putDataDeletion (record: DataDeletionRecord, ttlSeconds: number): Promise<void> {
    await guard(this.redis.set(this.keys.dataDeletion(record.confirmation_code), JSON.stringify(record), 'EX', ttlSeconds))
  }
}
