// The simulated Meta's Page calls of provisioning, driven through the service's own Meta client and, for what the
// client never sends, by hand: a Page token only for a Page the token's person or system user has a task on, the
// app subscribed only with that Page's own token and its proof, for fields the grant's permissions allow, the
// token in the form body rather than the URL, and a Page token that lives as long as the token it was read with.
import t from 'tap'
import { MetaCallError } from '../../src/meta/meta-call-error.js'
import { MetaSimulator } from '../../src/sandbox/meta-simulator.js'
import type { SimulatedGrant } from '../../src/sandbox/meta-simulator.js'
import { APP_ID, APP_SECRET, call, flow1, flow2, formPost, metaClient, proof, sim, tokenFor, V } from './meta-simulator-fixtures.js'

const client = metaClient()
const budget = () => client.startBudget()
/** flow 1's grant plus the permissions non-messaging fields and reading the edge need */
const manager: SimulatedGrant = { ...flow1, scopes: [...flow1.scopes, 'pages_manage_metadata', 'pages_show_list'] }
const PAGE_TOKEN_REQUIRED = { code: 210, type: 'OAuthException', message: '(#210) A page access token is required to request this resource.', fbtrace_id: String }

const subscribe = async (page: string, token: string, params: Record<string, string>) =>
  await call(`/${V}/${page}/subscribed_apps`, {}, formPost({ access_token: token, ...proof(token), ...params }))

t.test('a Page token is issued only for a granted Page, once per Page and token', async (t) => {
  const token = await tokenFor(flow1)
  const first = await client.pageAccessToken(token, '111', budget())
  t.match(first, /^EAA[0-9A-Za-z]{60}$/)
  t.not(first, token, 'the Page has a token of its own')
  t.equal(await client.pageAccessToken(token, '111', budget()), first, 'asked again, the same token')
  const other = await client.pageAccessToken(token, '222', budget())
  t.not(other, first, 'each Page its own')
  t.not(await client.pageAccessToken(await tokenFor(flow1), '111', budget()), first, 'each onboarding token its own')
  t.same(sim.callsTo('page_token').map((c) => c.path), [`/${V}/111`, `/${V}/111`, `/${V}/222`, `/${V}/111`])

  const refused = await client.pageAccessToken(token, '999', budget()).catch((err: unknown) => err)
  t.type(refused, MetaCallError)
  t.match(refused, { endpoint: 'page_token', reason: 'bad_response' }, 'a Page without a task on it comes back without the token')
  t.same((await call(`/${V}/999`, { fields: 'access_token', access_token: token, ...proof(token) })).body, { id: '999' })
  const noPagePermission = await tokenFor({ ...flow1, scopes: ['ads_management', 'paid_marketing_messages'] })
  t.same((await call(`/${V}/111`, { fields: 'access_token', access_token: noPagePermission, ...proof(noPagePermission) })).body, { id: '111' },
    'nor for a token without any Page permission')

  t.same((await call(`/${V}/111`, { fields: 'access_token', access_token: first, ...proof(first) })).body, { access_token: first, id: '111' },
    'a Page token reads itself')
  t.same((await call(`/${V}/222`, { fields: 'access_token', access_token: first, ...proof(first) })).body, { id: '222' },
    'but not another Page\'s token')
  t.match((await call(`/${V}/111`, { fields: 'access_token', access_token: token, ...proof(first) })).body.error,
    { code: 100, type: 'GraphMethodException', message: 'Invalid appsecret_proof provided in the API argument' })
  t.match((await call(`/${V}/111`, { fields: 'access_token', access_token: 'EAAunknown', ...proof('EAAunknown') })).body.error, { code: 190, error_subcode: 467 })
  t.match((await call(`/${V}/111`, { fields: 'access_token,fan_count', access_token: token, ...proof(token) })).body.error,
    { code: 100, message: '(#100) Tried accessing nonexisting field (fan_count) on node type (Page)' })

  t.same((await call(`/${V}/111`, { access_token: token, ...proof(token) })).body, { name: 'Simulated Page 111', id: '111' }, 'the node without its token')
  t.equal(sim.calls.at(-1)?.endpoint, 'other', 'is no provisioning call')
})

t.test('subscribed_apps refuses every token but the Page\'s own, and a proof of another token', async (t) => {
  const token = await tokenFor(manager)
  const page111 = await client.pageAccessToken(token, '111', budget())
  const page222 = await client.pageAccessToken(token, '222', budget())

  const withUserToken = await subscribe('111', token, { subscribed_fields: 'messages' })
  t.equal(withUserToken.status, 403)
  t.match(withUserToken.body.error, PAGE_TOKEN_REQUIRED, 'the onboarding token itself')
  t.match((await subscribe('111', page222, { subscribed_fields: 'messages' })).body.error, PAGE_TOKEN_REQUIRED, 'another Page\'s token')
  const viaClient = await client.subscribeApp(token, '111', ['messages'], budget()).catch((err: unknown) => err)
  t.match(viaClient, { status: 403, graph: { code: 210 } })
  t.equal((viaClient as MetaCallError).permissionDenied, true, 'the service reads it as a permission error')

  const badProof = await call(`/${V}/111/subscribed_apps`, {}, formPost({ access_token: page111, ...proof(token), subscribed_fields: 'messages' }))
  t.match(badProof.body.error, { code: 100, type: 'GraphMethodException', message: 'Invalid appsecret_proof provided in the API argument' },
    'the proof must be the Page token\'s')
  t.match((await call(`/${V}/111/subscribed_apps`, {}, formPost({ access_token: page111, subscribed_fields: 'messages' }))).body.error,
    { code: 100, message: 'API calls from the server require an appsecret_proof argument' })
  t.match((await call(`/${V}/111/subscribed_apps`, {}, formPost({ subscribed_fields: 'messages' }))).body.error,
    { code: 104, message: 'An access token is required to request this resource.' })
  t.same(sim.pageSubscriptions(), [], 'nothing was subscribed')
  t.same(sim.callsTo('subscribed_apps').map((c) => c.method), ['POST', 'POST', 'POST', 'POST', 'POST', 'POST'], 'every attempt is recorded')
})

t.test('subscribed_fields: required, each one of the Page fields, each allowed by the grant\'s permissions', async (t) => {
  const messagingOnly = await tokenFor(flow1)
  const page = await client.pageAccessToken(messagingOnly, '111', budget())
  const feed = await subscribe('111', page, { subscribed_fields: 'feed' })
  t.equal(feed.status, 403)
  t.match(feed.body.error, { code: 200, type: 'OAuthException', message: '(#200) To subscribe to the feed field, one of these permissions is needed: pages_manage_metadata' })
  t.match((await subscribe('111', page, { subscribed_fields: 'messages,feed' })).body.error, { code: 200, message: /the feed field/ },
    'one field refused refuses the call')
  t.same(sim.pageSubscriptions(), [])

  const metadataOnly = await tokenFor({ ...flow1, scopes: ['ads_management', 'pages_manage_metadata'] })
  const other = await client.pageAccessToken(metadataOnly, '111', budget())
  t.match((await subscribe('111', other, { subscribed_fields: 'messages' })).body.error,
    { code: 200, message: '(#200) To subscribe to the messages field, one of these permissions is needed: pages_messaging' })
  t.match((await subscribe('111', other, { subscribed_fields: 'feed' })).body.error, { code: 200, message: /needed: pages_show_list$/ },
    'feed also needs pages_show_list')

  const unknown = await subscribe('111', page, { subscribed_fields: 'messages,comments' })
  t.equal(unknown.status, 400)
  t.match(unknown.body.error, { code: 100, type: 'OAuthException', message: /^\(#100\) Param subscribed_fields\[1\] must be one of \{affiliation, .*messages, .*website\}$/ })
  t.match((await subscribe('111', page, {})).body.error, { code: 100, message: '(#100) The parameter subscribed_fields is required' })
  t.match((await subscribe('111', page, { subscribed_fields: ' , ' })).body.error, { code: 100, message: /is required/ })
  t.same(sim.pageSubscriptions(), [])
})

t.test('with the Page token: accepted, recorded, listed, replaced; the token travels in the body', async (t) => {
  const token = await tokenFor(manager)
  const page = await client.pageAccessToken(token, '111', budget())
  await client.subscribeApp(page, '111', ['messages', 'messaging_optins', 'message_deliveries'], budget())
  t.same(sim.pageSubscriptions(), [{ pageId: '111', fields: ['messages', 'messaging_optins', 'message_deliveries'] }])
  const [sent] = sim.callsTo('subscribed_apps')
  t.same(sent?.query, {}, 'nothing in the URL')
  t.match(sent?.form, { access_token: page, appsecret_proof: /^[0-9a-f]{64}$/, appsecret_time: /^\d+$/, subscribed_fields: 'messages,messaging_optins,message_deliveries' })
  t.match(sent?.headers['content-type'], /^application\/x-www-form-urlencoded/)

  const listed = await call(`/${V}/111/subscribed_apps`, { access_token: page, ...proof(page) })
  t.same(listed.body, { data: [{ id: APP_ID, name: 'Simulated app', subscribed_fields: ['messages', 'messaging_optins', 'message_deliveries'] }] })
  t.same((await call(`/${V}/222/subscribed_apps`, { access_token: page, ...proof(page) })).body.error?.code, 210, 'listing another Page needs its token')
  const page222 = await client.pageAccessToken(token, '222', budget())
  t.same((await call(`/${V}/222/subscribed_apps`, { access_token: page222, ...proof(page222) })).body, { data: [] }, 'a Page nobody subscribed to')

  await client.subscribeApp(page, '111', ['feed', 'messages'], budget())
  t.same(sim.pageSubscriptions(), [{ pageId: '111', fields: ['feed', 'messages'] }], 'subscribing again replaces the fields')
  const inQuery = await call(`/${V}/222/subscribed_apps`, { access_token: page222, ...proof(page222), subscribed_fields: '["message_reads","message_reads"]' }, { method: 'POST' })
  t.same(inQuery.body, { success: true }, 'the query and a JSON list are taken too')
  t.same(sim.pageSubscriptions().find((s) => s.pageId === '222')?.fields, ['message_reads'])

  const messagingOnly = await tokenFor(flow1)
  const theirs = await client.pageAccessToken(messagingOnly, '111', budget())
  t.match((await call(`/${V}/111/subscribed_apps`, { access_token: theirs, ...proof(theirs) })).body.error,
    { code: 200, message: '(#200) Requires pages_manage_metadata permission to manage the object' }, 'reading the edge needs pages_manage_metadata')

  sim.reset()
  t.same(sim.pageSubscriptions(), [], 'reset forgets the subscriptions')
  t.match((await call(`/${V}/111/subscribed_apps`, { access_token: page, ...proof(page) })).body.error, { code: 190 }, 'and the Page tokens')
})

t.test('a Page token read with a short-lived user token dies with it; read with a long-lived or system-user token it lasts', async (t) => {
  let now = Date.now()
  const clocked = new MetaSimulator({ appId: APP_ID, appSecret: APP_SECRET, now: () => now })
  await clocked.start()
  t.teardown(() => clocked.close())
  const timed = metaClient(clocked, () => now)
  const exchangeOn = async (grant: SimulatedGrant): Promise<string> =>
    (await timed.exchangeCode(clocked.issueCode(grant))).accessToken
  const short = await exchangeOn(flow2)
  const long = (await timed.exchangeLongLived(short, timed.startBudget())).accessToken
  const system = await exchangeOn(flow1)
  const fromShort = await timed.pageAccessToken(short, '111', timed.startBudget())
  const fromLong = await timed.pageAccessToken(long, '111', timed.startBudget())
  const fromSystem = await timed.pageAccessToken(system, '111', timed.startBudget())
  t.equal(new Set([fromShort, fromLong, fromSystem]).size, 3)

  now += 3601_000
  const expired = await timed.subscribeApp(fromShort, '111', ['messages'], timed.startBudget()).catch((err: unknown) => err)
  t.match(expired, { endpoint: 'subscribed_apps', status: 400, graph: { code: 190, error_subcode: 463 } })
  now += 400 * 24 * 3600_000
  await t.resolves(timed.subscribeApp(fromLong, '111', ['messages'], timed.startBudget()), 'from a long-lived user token: no expiry')
  await t.resolves(timed.subscribeApp(fromSystem, '111', ['messages'], timed.startBudget()), 'from a system-user token: no expiry')
})

t.test('planned failures and throttling reach the Page calls', async (t) => {
  const token = await tokenFor(flow1)
  sim.failNext('page_token', { status: 500 })
  const page = await client.pageAccessToken(token, '111', budget())
  t.same(sim.callsTo('page_token').length, 2, 'a 500 is retried')

  sim.failNext('subscribed_apps', { status: 400, graphError: { code: 200, message: '(#200) Permissions error' } })
  t.match(await client.subscribeApp(page, '111', ['messages'], budget()).catch((err: unknown) => err), { status: 400, graph: { code: 200 } })
  t.same(sim.pageSubscriptions(), [], 'the planned refusal came before the handler')
  sim.throttle('subscribed_apps', 60_000)
  const throttled = await client.subscribeApp(page, '111', ['messages'], budget()).catch((err: unknown) => err)
  t.equal((throttled as MetaCallError).kind, 'throttled')
  t.equal(sim.callsTo('subscribed_apps').length, 2, 'neither is retried')
})
