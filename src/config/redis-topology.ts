// Which Redis the service uses (SPEC §2, §9): one server (REDIS_URL), a Redis Cluster (REDIS_CLUSTER_NODES) or a
// master found through Sentinels (REDIS_SENTINELS + REDIS_SENTINEL_MASTER), with ACL credentials and TLS for the
// data nodes. None of them = the in-process store. config.ts composes these schemas into the environment's.
import { z } from 'zod'
import { booleanFromEnv, csv, optionalString } from './env-values.js'

export interface RedisNode { host: string; port: number }

interface Credentials {
  username: string | undefined
  password: string | undefined
  tls: boolean
}

export type RedisTopology =
  | { kind: 'standalone'; url: string }
  | ({ kind: 'cluster'; nodes: RedisNode[] } & Credentials)
  | ({ kind: 'sentinel'; sentinels: RedisNode[]; master: string; sentinelPassword: string | undefined } & Credentials)

// a hostname, an IPv4 address or a bracketed IPv6 address, then a port
const NODE = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?):(\d{1,5})$/

const nodeList = optionalString.transform((v, ctx) => {
  if (v === undefined) return undefined
  const nodes: RedisNode[] = []
  for (const entry of csv(v)) {
    const match = NODE.exec(entry)
    const port = Number(match?.[3])
    if (!match || port < 1 || port > 65535) {
      ctx.addIssue({ code: 'custom', message: 'must be comma-separated host:port entries' })
      return z.NEVER
    }
    nodes.push({ host: match[1]!.replace(/^\[|\]$/g, ''), port })
  }
  if (nodes.length === 0) ctx.addIssue({ code: 'custom', message: 'must name at least one host:port' })
  return nodes
})

export const redisVariables = {
  REDIS_URL: optionalString.pipe(z.string().regex(/^rediss?:\/\//, 'must start with redis:// or rediss://').optional()),
  REDIS_CLUSTER_NODES: nodeList,
  REDIS_SENTINELS: nodeList,
  REDIS_SENTINEL_MASTER: optionalString,
  REDIS_USERNAME: optionalString,
  REDIS_PASSWORD: optionalString,
  REDIS_SENTINEL_PASSWORD: optionalString,
  REDIS_TLS: booleanFromEnv(false)
}

const TOPOLOGY_VARIABLES = ['REDIS_URL', 'REDIS_CLUSTER_NODES', 'REDIS_SENTINELS'] as const

/** the set-up mistakes across variables, checked on the raw values so they are named with every other problem */
export function redisProblems (set: (name: string) => boolean): Array<{ variable: string; message: string }> {
  const problems: Array<{ variable: string; message: string }> = []
  const chosen = TOPOLOGY_VARIABLES.filter(set)
  if (chosen.length > 1) problems.push({ variable: chosen.join(', '), message: 'name one Redis: a URL, cluster nodes or sentinels, not several' })
  if (set('REDIS_SENTINELS') && !set('REDIS_SENTINEL_MASTER')) problems.push({ variable: 'REDIS_SENTINEL_MASTER', message: 'is required with REDIS_SENTINELS (the name the sentinels monitor the master by)' })
  if (set('REDIS_SENTINEL_MASTER') && !set('REDIS_SENTINELS')) problems.push({ variable: 'REDIS_SENTINELS', message: 'is required with REDIS_SENTINEL_MASTER' })
  if (set('REDIS_SENTINEL_PASSWORD') && !set('REDIS_SENTINELS')) problems.push({ variable: 'REDIS_SENTINEL_PASSWORD', message: 'is only used with REDIS_SENTINELS' })
  return problems
}

type RedisEnv = z.output<z.ZodObject<typeof redisVariables>>

export function redisTopology (e: RedisEnv): RedisTopology | undefined {
  const credentials: Credentials = { username: e.REDIS_USERNAME, password: e.REDIS_PASSWORD, tls: e.REDIS_TLS }
  if (e.REDIS_CLUSTER_NODES) return { kind: 'cluster', nodes: e.REDIS_CLUSTER_NODES, ...credentials }
  if (e.REDIS_SENTINELS && e.REDIS_SENTINEL_MASTER) {
    return { kind: 'sentinel', sentinels: e.REDIS_SENTINELS, master: e.REDIS_SENTINEL_MASTER, sentinelPassword: e.REDIS_SENTINEL_PASSWORD, ...credentials }
  }
  if (e.REDIS_URL) return { kind: 'standalone', url: withCredentials(e.REDIS_URL, credentials) }
  return undefined
}

/** REDIS_USERNAME / REDIS_PASSWORD into a URL that has none of its own (the URL's win, SPEC §2) */
function withCredentials (raw: string, { username, password, tls }: Credentials): string {
  if (username === undefined && password === undefined && !tls) return raw
  const url = new URL(raw)
  if (url.username === '' && url.password === '') {
    if (username !== undefined) url.username = encodeURIComponent(username)
    if (password !== undefined) url.password = encodeURIComponent(password)
  }
  // REDIS_TLS is for cluster and sentinel set-ups; for a URL, rediss:// says it, and REDIS_TLS=true upgrades it
  if (tls) url.protocol = 'rediss:'
  return url.href
}
