// The Redis topology (SPEC §2, §9): one server, a cluster or sentinels, with credentials and TLS; every set-up
// mistake named at start-up, never with a password's value.
import t from 'tap'
import { loadConfig } from '../../src/config/config.js'
import { configError, env, named, rejects } from './config-fixtures.js'

t.test('a Redis Cluster from its seed nodes, with ACL credentials and TLS', async (t) => {
  const c = loadConfig(env({ REDIS_CLUSTER_NODES: 'r1.example.com:7000, 10.0.0.2:7001,[::1]:7002', REDIS_USERNAME: 'svc', REDIS_PASSWORD: 'pw-secret', REDIS_TLS: 'true' }))
  t.same(c.redis, {
    kind: 'cluster',
    nodes: [{ host: 'r1.example.com', port: 7000 }, { host: '10.0.0.2', port: 7001 }, { host: '::1', port: 7002 }],
    username: 'svc',
    password: 'pw-secret',
    tls: true
  })
})

t.test('sentinels and the master they watch', async (t) => {
  const c = loadConfig(env({ REDIS_SENTINELS: 's1:26379,s2:26379,s3:26379', REDIS_SENTINEL_MASTER: 'mymaster', REDIS_SENTINEL_PASSWORD: 'sentinel-pw' }))
  t.same(c.redis, {
    kind: 'sentinel',
    sentinels: [{ host: 's1', port: 26379 }, { host: 's2', port: 26379 }, { host: 's3', port: 26379 }],
    master: 'mymaster',
    sentinelPassword: 'sentinel-pw',
    username: undefined,
    password: undefined,
    tls: false
  })
})

t.test('REDIS_USERNAME / REDIS_PASSWORD go into a URL without its own; the URL\'s win', async (t) => {
  t.same(loadConfig(env({ REDIS_URL: 'redis://r.example.com:6379/2', REDIS_USERNAME: 'svc', REDIS_PASSWORD: 'p@ss' })).redis,
    { kind: 'standalone', url: 'redis://svc:p%40ss@r.example.com:6379/2' })
  t.same(loadConfig(env({ REDIS_URL: 'redis://own:pw@r.example.com:6379', REDIS_PASSWORD: 'other' })).redis,
    { kind: 'standalone', url: 'redis://own:pw@r.example.com:6379' })
  t.same(loadConfig(env({ REDIS_URL: 'redis://r.example.com:6379', REDIS_TLS: 'true' })).redis,
    { kind: 'standalone', url: 'rediss://r.example.com:6379' }, 'REDIS_TLS upgrades the URL')
})

t.test('more than one topology is refused, naming each', async (t) => {
  const err = configError(t, env({ REDIS_URL: 'redis://127.0.0.1:6379', REDIS_CLUSTER_NODES: 'a:7000', REDIS_SENTINELS: 'b:26379', REDIS_SENTINEL_MASTER: 'm' }))
  t.ok(['REDIS_URL', 'REDIS_CLUSTER_NODES', 'REDIS_SENTINELS'].every((v) => named(err).includes(v)), err.message)
  rejects(t, { REDIS_URL: 'redis://127.0.0.1:6379', REDIS_CLUSTER_NODES: 'a:7000' }, 'REDIS_CLUSTER_NODES', /one Redis/)
})

t.test('a sentinel list without a master name, or the reverse', async (t) => {
  rejects(t, { REDIS_SENTINELS: 's1:26379' }, 'REDIS_SENTINEL_MASTER', /required with REDIS_SENTINELS/)
  rejects(t, { REDIS_SENTINEL_MASTER: 'mymaster' }, 'REDIS_SENTINELS', /required/)
  rejects(t, { REDIS_SENTINEL_PASSWORD: 'x' }, 'REDIS_SENTINEL_PASSWORD', /only used with REDIS_SENTINELS/)
})

t.test('a node that is not host:port', async (t) => {
  for (const bad of ['localhost', 'a:b', 'a:0', 'a:70000', ':7000', 'a:7000,,b', 'redis://a:7000', 'a:7000;b:7001']) {
    rejects(t, { REDIS_CLUSTER_NODES: bad }, 'REDIS_CLUSTER_NODES', /host:port/)
  }
  rejects(t, { REDIS_SENTINELS: 's1', REDIS_SENTINEL_MASTER: 'm' }, 'REDIS_SENTINELS', /host:port/)
})

t.test('no password is ever in the message', async (t) => {
  const err = configError(t, env({ REDIS_CLUSTER_NODES: 'nothostport', REDIS_PASSWORD: 'pw-do-not-print', REDIS_SENTINEL_PASSWORD: 'spw-do-not-print' }))
  t.notMatch(err.message, /do-not-print/)
})
