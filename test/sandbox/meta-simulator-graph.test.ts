// The simulated Meta's Graph endpoints the service reads and writes: /me only with a valid appsecret_proof,
// /me/accounts and /me/adaccounts paged two by two, and the asset connection, which takes a multipart form
// from the token's own system user only.
import t from 'tap'
import { type Answer, call, flow1, flow2, proof, sim, tokenFor, V } from './meta-simulator-fixtures.js'

t.test('/me requires a valid appsecret_proof and honours fields', async (t) => {
  const token = await tokenFor(flow1)
  const ok = await call(`/${V}/me`, { fields: 'id,client_business_id', access_token: token, ...proof(token) })
  t.equal(ok.status, 200)
  t.same(ok.body, { id: flow1.userId, client_business_id: flow1.businessId })

  const userToken = await tokenFor(flow2)
  t.same((await call(`/${V}/me`, { fields: 'id,client_business_id', access_token: userToken, ...proof(userToken) })).body,
    { id: flow2.userId }, 'a user token has no client_business_id')

  const proofError = { code: 100, type: 'GraphMethodException', message: 'Invalid appsecret_proof provided in the API argument' }
  const wrong = await call(`/${V}/me`, { fields: 'id', access_token: token, ...proof(userToken) })
  t.equal(wrong.status, 400)
  t.match(wrong.body.error, proofError)
  const stale = Math.floor(Date.now() / 1000) - 301
  t.match((await call(`/${V}/me`, { fields: 'id', access_token: token, ...proof(token, stale) })).body.error, proofError)
  t.match((await call(`/${V}/me`, { fields: 'id', access_token: token })).body.error, { code: 100, type: 'GraphMethodException' })

  const unknown = await call(`/${V}/me`, { fields: 'id', access_token: 'EAAzzz', ...proof('EAAzzz') })
  t.match(unknown.body.error, { code: 190, error_subcode: 467 })
  const revoked = await tokenFor({ ...flow1, isValid: false })
  t.match((await call(`/${V}/me`, { access_token: revoked, ...proof(revoked) })).body.error, { code: 190 })
  t.match((await call(`/${V}/me`, { fields: 'id,nope', access_token: token, ...proof(token) })).body.error,
    { code: 100, message: /nonexisting field \(nope\)/ })
})

t.test('/me/accounts and /me/adaccounts page two by two', async (t) => {
  const grant = { ...flow1, pageIds: ['1', '2', '3', '4', '5'], adAccountIds: ['61', '62'], targetIds: false, scopes: [...flow1.scopes, 'pages_show_list'] }
  const token = await tokenFor(grant)
  const seen: string[] = []
  let next: string | undefined = `${sim.url}/${V}/me/accounts?${new URLSearchParams({ fields: 'id', access_token: token }).toString()}`
  let pages = 0
  while (next !== undefined) {
    const url: URL = new URL(next)
    t.equal(url.origin, sim.url, 'paging.next is absolute on the simulator')
    for (const [k, v] of Object.entries(proof(token))) url.searchParams.set(k, v)
    const res: Answer = await call(url.pathname, Object.fromEntries(url.searchParams))
    t.equal(res.status, 200)
    seen.push(...res.body.data.map((item: { id: string }) => item.id))
    next = res.body.paging.next
    pages++
  }
  t.same(seen, grant.pageIds)
  t.equal(pages, 3)
  const nexts = sim.callsTo('accounts').map((c) => c.query)
  t.match(nexts[1], { fields: 'id', limit: '2', access_token: token })

  const big = await call(`/${V}/me/accounts`, { limit: '10', access_token: token, ...proof(token) })
  t.equal(big.body.data.length, 5)
  t.notOk(big.body.paging.next)

  const ads = await call(`/${V}/me/adaccounts`, { fields: 'account_id', access_token: token, ...proof(token) })
  t.same(ads.body.data, [{ account_id: '61', id: 'act_61' }, { account_id: '62', id: 'act_62' }])
  t.notOk(ads.body.paging.next, 'no next on the last page')
  t.match((await call(`/${V}/me/adaccounts`, { access_token: token })).body.error, { code: 100 }, 'proof required here too')
})

t.test('/me/accounts is refused to a token without pages_show_list, as Meta does', async (t) => {
  const token = await tokenFor({ ...flow1, targetIds: false })
  const res: Answer = await call(`/${V}/me/accounts`, { fields: 'id', access_token: token, ...proof(token) })
  t.equal(res.status, 403)
  t.match(res.body.error, { code: 200, message: /pages_show_list/ })
})

t.test('a throttled endpoint refuses every call until its window has passed, and says how long', async (t) => {
  const token = await tokenFor(flow1)
  sim.throttle('me', 120_000)
  for (let i = 0; i < 3; i++) {
    const res: Answer = await call(`/${V}/me`, { fields: 'id', access_token: token, ...proof(token) })
    t.equal(res.status, 400)
    t.equal(res.body.error.code, 80004)
    t.equal(JSON.parse(res.headers.get('x-business-use-case-usage')!)['1234567890'][0].estimated_time_to_regain_access, 2)
  }
  sim.reset()
  const fresh = await tokenFor(flow1)
  t.equal((await call(`/${V}/me`, { fields: 'id', access_token: fresh, ...proof(fresh) })).status, 200, 'and answers once the window is over')
})

t.test('asset connection takes a multipart form from the right system user', async (t) => {
  const token = await tokenFor(flow1)
  const path = `/system_accounts/${flow1.userId ?? ''}/asset-connections`
  const form = new FormData()
  form.set('asset_id', '424242')
  const ok = await call(path, {}, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form })
  t.equal(ok.status, 202)
  t.same(ok.body, { success: true })
  t.same(sim.assetConnections, [{ systemUserId: flow1.userId, assetId: '424242' }])
  t.same(sim.callsTo('asset_connections')[0]?.form, { asset_id: '424242' })

  const urlencoded = await call(path, {}, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: new URLSearchParams({ asset_id: '424242' }) })
  t.equal(urlencoded.status, 400)
  t.match(urlencoded.body.error, { code: 100, message: '(#100) The parameter asset_id is required' })
  t.same(sim.callsTo('asset_connections')[1]?.form, { asset_id: '424242' }, 'recorded as form, yet only a multipart body counts')
  const asJson = await call(path, {}, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: '{"asset_id":"424242"}' })
  t.match(asJson.body.error, { code: 100, message: '(#100) The parameter asset_id is required' })

  t.match((await call('/system_accounts/123/asset-connections', {}, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form })).body.error,
    { code: 100 }, 'another system user id')
  const userToken = await tokenFor(flow2)
  t.match((await call(`/system_accounts/${flow2.userId ?? ''}/asset-connections`, {}, { method: 'POST', headers: { authorization: `Bearer ${userToken}` }, body: form })).body.error,
    { code: 100 }, 'a user token')
  t.match((await call(path, {}, { method: 'POST', headers: { authorization: 'Bearer EAAnope' }, body: form })).body.error, { code: 190 })
  t.equal((await call(path, {}, { method: 'POST', body: form })).status, 400)
  t.equal((await call(`/${V}${path}`, {}, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form })).status, 404, 'no version segment on this endpoint')
  t.equal(sim.assetConnections.length, 1)
})
