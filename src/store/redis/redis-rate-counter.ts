// The rate counter in Redis, so that every instance counts together: one key per client and window, INCR and
// its expiry in one script (a client's count can never be left without an end, whatever fails in between).
import type { Result } from 'ioredis'
import type { RedisConnection } from './redis-client.js'
import type { RateCounter, WindowCount } from '../rate-counter.js'
import { defineCommands, guard } from './redis-common.js'

declare module 'ioredis' {
  interface RedisCommander<Context> {
    moCountHit (key: string, windowMs: number): Result<[number, number], Context>
  }
}

const COMMANDS = {
  // KEYS: counter · ARGV: window ms · returns the count and the ms left in its window. A key without an expiry
  // (the first hit, or one written by hand) gets the window's, so a count always ends.
  moCountHit: {
    numberOfKeys: 1,
    lua: `
local n = redis.call('INCR', KEYS[1])
local left = redis.call('PTTL', KEYS[1])
if left < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  left = tonumber(ARGV[1])
end
return {n, left}`
  }
}

export class RedisRateCounter implements RateCounter {
  /** `prefix`: the limit's own key space, e.g. `mo:rl:browser:` */
  constructor (private readonly redis: RedisConnection, private readonly prefix: string, private readonly windowMs: number) {
    defineCommands(redis, COMMANDS)
  }

  async hit (key: string): Promise<WindowCount> {
    const [count, resetInMs] = await guard(this.redis.moCountHit(`${this.prefix}${key}`, this.windowMs))
    return { count, resetInMs }
  }

  /** the client is the stores', closed with them */
  close (): void {}
}
