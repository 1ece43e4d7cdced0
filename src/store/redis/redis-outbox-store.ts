// The outbox's atomic writes in Redis, each one Lua script: all of it lands, or nothing does.
import type { Result } from 'ioredis'
import type { EventsWrite, OutboxStore, OutcomeWrite, SessionChange } from '../outbox-store.js'
import { businessEntry, userEntry } from '../records.js'
import type { RedisConnection } from './redis-client.js'
import { defineCommands, expiryMember, guard, type RedisKeys } from './redis-common.js'

declare module 'ioredis' {
  interface RedisCommander<Context> {
    moRecordOutcome (...keysAndArgs: string[]): Result<null, Context>
    moRecordSessionChange (...keysAndArgs: string[]): Result<number, Context>
    moRecordEvents (numberOfKeys: number, ...keysAndArgs: Array<string | number>): Result<null, Context>
    moSupersede (holders: string, notices: string): Result<null, Context>
  }
}

const COMMANDS = {
  // KEYS: session, delivery, event, pending index, token, claim, expiries, processing index, business sessions,
  // user sessions, provisioning index, notices, the holders superseded, then up to two holders of this session's
  // notices (keys.unused fills an optional place) · ARGV: session JSON, delivery JSON, sealed event, plan JSON
  // (outcomePlan below). A notice's member is `kind.sessionId`, as noticeMember writes it.
  moRecordOutcome: {
    numberOfKeys: 15,
    lua: `
local p = cjson.decode(ARGV[4])
redis.call('SET', KEYS[1], ARGV[1], 'EX', p.session_ttl)
redis.call('SET', KEYS[2], ARGV[2], 'EX', p.ttl)
redis.call('SET', KEYS[3], ARGV[3], 'EX', p.ttl)
redis.call('ZADD', KEYS[4], p.created, p.delivery)
if p.keep_token then redis.call('EXPIRE', KEYS[5], p.ttl) else redis.call('DEL', KEYS[5]) end
redis.call('DEL', KEYS[6])
redis.call('ZREM', KEYS[7], p.expiry_member)
redis.call('ZREM', KEYS[8], p.session)
local function owner (key, entry)
  redis.call('ZADD', key, entry[1], p.session)
  redis.call('ZREMRANGEBYSCORE', key, '-inf', '(' .. entry[2])
  redis.call('EXPIRE', key, p.ttl)
end
if p.business then owner(KEYS[9], p.business) end
if p.user then owner(KEYS[10], p.user) end
if p.provisioning then redis.call('ZADD', KEYS[11], p.provisioning, p.session) end
if p.supersede then
  for _, id in ipairs(redis.call('SMEMBERS', KEYS[13])) do redis.call('ZREM', KEYS[12], 'expiring.' .. id, 'expired.' .. id) end
  redis.call('DEL', KEYS[13])
end
for _, n in ipairs(p.notices) do redis.call('ZADD', KEYS[12], n[2], n[1]) end
for i = 1, p.holders do
  redis.call('SADD', KEYS[13 + i], p.session)
  if redis.call('TTL', KEYS[13 + i]) < tonumber(p.session_ttl) then redis.call('EXPIRE', KEYS[13 + i], p.session_ttl) end
end`
  },
  // KEYS: session, delivery, event, pending index, token, provisioning index, notices, business sessions, user
  // sessions · ARGV: plan JSON (changePlan below), the session as expected ('' = no check), the next session
  // ('' = unchanged), delivery JSON ('' = no event), sealed event. Returns 1 when it landed, 0 when not.
  moRecordSessionChange: {
    numberOfKeys: 9,
    lua: `
local p = cjson.decode(ARGV[1])
if ARGV[2] ~= '' and redis.call('GET', KEYS[1]) ~= ARGV[2] then return 0 end
if p.take_notice and redis.call('ZREM', KEYS[7], p.take_notice) == 0 then return 0 end
if ARGV[3] ~= '' then
  local ttl = redis.call('PTTL', KEYS[1])
  if ttl > 0 then redis.call('SET', KEYS[1], ARGV[3], 'PX', ttl) else redis.call('SET', KEYS[1], ARGV[3], 'EX', p.ttl) end
end
if ARGV[4] ~= '' then
  redis.call('SET', KEYS[2], ARGV[4], 'EX', p.ttl)
  redis.call('SET', KEYS[3], ARGV[5], 'EX', p.ttl)
  redis.call('ZADD', KEYS[4], p.created, p.delivery)
end
if p.provisioning == 'done' then redis.call('ZREM', KEYS[6], p.session)
elseif p.provisioning then redis.call('ZADD', KEYS[6], p.provisioning, p.session) end
if p.drop_token then redis.call('DEL', KEYS[5]) end
if p.cancel_notices then redis.call('ZREM', KEYS[7], 'expiring.' .. p.session, 'expired.' .. p.session) end
if p.leave_owners then
  redis.call('ZREM', KEYS[8], p.session)
  redis.call('ZREM', KEYS[9], p.session)
end
return 1`
  },
  // the notices of an owner's earlier sessions of another group (cluster layout), as moRecordOutcome's supersede.
  // KEYS: the holders superseded, notices
  moSupersede: {
    numberOfKeys: 2,
    lua: `
for _, id in ipairs(redis.call('SMEMBERS', KEYS[1])) do redis.call('ZREM', KEYS[2], 'expiring.' .. id, 'expired.' .. id) end
redis.call('DEL', KEYS[1])`
  },
  // n deliveries and their sealed bodies, and optionally the data deletion request they report; the number of
  // keys varies with n, so no numberOfKeys is declared and the caller passes it first.
  // KEYS: pending index, then delivery and event of each, then (optionally) the data deletion request
  // ARGV: TTL s, n, then delivery JSON, sealed event, created ms, ID of each, then (optionally) the request JSON
  moRecordEvents: {
    lua: `
local n = tonumber(ARGV[2])
for i = 1, n do
  local a = 2 + (i - 1) * 4
  redis.call('SET', KEYS[2 * i], ARGV[a + 1], 'EX', ARGV[1])
  redis.call('SET', KEYS[2 * i + 1], ARGV[a + 2], 'EX', ARGV[1])
  redis.call('ZADD', KEYS[1], ARGV[a + 3], ARGV[a + 4])
end
if #KEYS > 2 * n + 1 then redis.call('SET', KEYS[2 * n + 2], ARGV[3 + 4 * n], 'EX', ARGV[1]) end`
  }
}

/**
 * The group of a step's keys: every record of one script must be kept in the same one (RedisKeys), so the
 * events of a session take its digit and the events of one step one another's (newEventId's `near`)
 */
function sameGroup (keys: RedisKeys, anchor: string, ids: string[]): number {
  const group = keys.groupOf(anchor)
  if (ids.some((id) => keys.groupOf(id) !== group)) throw new Error('the records of one step are not kept in one group: create their events near one another')
  return group
}

export class RedisOutboxStore implements OutboxStore {
  constructor (private readonly redis: RedisConnection, private readonly keys: RedisKeys) {
    defineCommands(redis, COMMANDS)
  }

  async recordOutcome ({ session, delivery, sealedEvent, retentionSeconds, followUps = {} }: OutcomeWrite): Promise<void> {
    const k = this.keys
    const business = businessEntry(session)
    const user = userEntry(session)
    const holders = followUps.holders ?? []
    const floor = (completedAt: number) => String(completedAt - retentionSeconds * 1000)
    // numbers as strings: cjson would turn a large one into a float Redis writes in exponent form
    const plan = {
      ttl: String(retentionSeconds),
      session_ttl: String(Math.max(retentionSeconds, followUps.sessionTtlSeconds ?? 0)),
      created: String(Date.parse(delivery.created_at)),
      delivery: delivery.id,
      session: session.id,
      expiry_member: expiryMember(session.flow ?? '', session.id),
      keep_token: followUps.provisioningDueAt !== undefined,
      ...(business ? { business: [String(business.completedAt), floor(business.completedAt)] } : {}),
      ...(user ? { user: [String(user.completedAt), floor(user.completedAt)] } : {}),
      ...(followUps.provisioningDueAt !== undefined ? { provisioning: String(followUps.provisioningDueAt) } : {}),
      supersede: followUps.supersedes !== undefined,
      notices: (followUps.notices ?? []).map((n) => [n.member, String(n.at)]),
      holders: holders.length
    }
    if (holders.length > 2) throw new Error('a session holds its notices under two owners at most')
    const g = sameGroup(k, session.id, [delivery.id])
    await guard(this.redis.moRecordOutcome(k.session(session.id), k.delivery(delivery.id), k.event(delivery.id), k.index(delivery.status, g),
      k.token(session.id), k.claim(session.id), k.expiries(g), k.processing(g),
      business ? k.businessSessions(business.businessId, g) : k.unused(g), user ? k.userSessions(user.userId, g) : k.unused(g),
      k.provisioning(g), k.notices(g), followUps.supersedes !== undefined ? k.noticeHolders(followUps.supersedes, g) : k.unused(g),
      holders[0] !== undefined ? k.noticeHolders(holders[0], g) : k.unused(g), holders[1] !== undefined ? k.noticeHolders(holders[1], g) : k.unused(g),
      JSON.stringify(session), JSON.stringify(delivery), sealedEvent, JSON.stringify(plan)))
    const owner = followUps.supersedes
    if (owner === undefined) return
    // On a cluster the owner's earlier sessions may be kept in other groups, which one script cannot reach: their
    // notices are cancelled just after. Should Redis fail in between, those notices are still sent (each names
    // its own session, so the partner can tell it from the later one); the outcome itself has landed and stands.
    await Promise.allSettled(k.groups.filter((other) => other !== g).map((other) => this.redis.moSupersede(k.noticeHolders(owner, other), k.notices(other))))
  }

  async recordSessionChange (change: SessionChange): Promise<boolean> {
    const k = this.keys
    const id = change.sessionId
    const { delivery, sealedEvent } = change.event ?? {}
    const session = change.update?.next ?? change.update?.expected
    const business = session ? businessEntry(session) : null
    const user = session ? userEntry(session) : null
    const plan = {
      session: id,
      ttl: String(change.retentionSeconds),
      ...(delivery ? { created: String(Date.parse(delivery.created_at)), delivery: delivery.id } : {}),
      ...(change.takeNotice !== undefined ? { take_notice: change.takeNotice } : {}),
      ...(change.provisioning !== undefined ? { provisioning: String(change.provisioning) } : {}),
      drop_token: change.dropToken === true,
      cancel_notices: change.cancelNotices === true,
      leave_owners: change.leaveOwners === true
    }
    const g = sameGroup(k, id, delivery ? [delivery.id] : [])
    const landed = await guard(this.redis.moRecordSessionChange(k.session(id), delivery ? k.delivery(delivery.id) : k.unused(g),
      delivery ? k.event(delivery.id) : k.unused(g), k.index('pending', g), k.token(id), k.provisioning(g), k.notices(g),
      business ? k.businessSessions(business.businessId, g) : k.unused(g), user ? k.userSessions(user.userId, g) : k.unused(g),
      JSON.stringify(plan), change.update ? JSON.stringify(change.update.expected) : '', change.update ? JSON.stringify(change.update.next) : '',
      delivery ? JSON.stringify(delivery) : '', sealedEvent ?? ''))
    return landed === 1
  }

  async recordEvents ({ events, retentionSeconds, dataDeletion }: EventsWrite): Promise<void> {
    const ids = events.map(({ delivery }) => delivery.id)
    const g = sameGroup(this.keys, dataDeletion?.confirmation_code ?? ids[0] ?? '', ids)
    const keys = [this.keys.index('pending', g)]
    const args: Array<string | number> = [retentionSeconds, events.length]
    for (const { delivery, sealedEvent } of events) {
      keys.push(this.keys.delivery(delivery.id), this.keys.event(delivery.id))
      args.push(JSON.stringify(delivery), sealedEvent, Date.parse(delivery.created_at), delivery.id)
    }
    if (dataDeletion) {
      keys.push(this.keys.dataDeletion(dataDeletion.confirmation_code))
      args.push(JSON.stringify(dataDeletion))
    }
    await guard(this.redis.moRecordEvents(keys.length, ...keys, ...args))
  }
}
