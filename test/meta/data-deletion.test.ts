// The data deletion callback: the answer Meta shows the person, the status page before and after the
// partner acknowledged the event and after it reported the deletion, and the partner API that reports it.
import t from 'tap'
import { API_KEY, auth, build, type Harness } from '../helper.js'
import { postForm } from './callbacks.js'

async function requestDeletion (h: Harness, userId = '218471') {
  const res = await postForm(h, '/meta/data-deletion', { signed_request: h.sim.signedRequest({ algorithm: 'HMAC-SHA256', issued_at: 1291836800, user_id: userId }) })
  if (res.statusCode !== 200) throw new Error(`data deletion answered ${res.statusCode}: ${res.body}`)
  return res.json() as { url: string; confirmation_code: string }
}

const page = (h: Harness, code: string) => h.app.inject({ url: `/meta/data-deletion/${code}` })
const complete = (h: Harness, code: string, body: unknown = { status: 'completed' }, headers: Record<string, string> = auth) =>
  h.app.inject({ method: 'POST', url: `/v1/data-deletions/${code}`, headers, payload: body as Record<string, unknown> })

async function deliveredAt (h: Harness, eventId: string): Promise<string> {
  for (let i = 0; i < 200; i++) {
    const delivery = (await h.app.inject({ url: '/v1/deliveries?status=delivered', headers: auth })).json().data.find((d: any) => d.id === eventId)
    if (delivery) return delivery.updated_at
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  throw new Error('never delivered')
}

const shown = (iso: string) => `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`

t.test('the answer Meta expects, the event, and the status page through acknowledgement and completion', async (t) => {
  const h = await build(t)
  // the first attempt hangs a while: long enough to read the page before the partner acknowledged
  h.receiver.plan.push({ status: 204, delayMs: 800 })
  const answer = await requestDeletion(h)
  t.same(Object.keys(answer).sort(), ['confirmation_code', 'url'])
  t.match(answer.confirmation_code, /^[A-Za-z0-9]{16,}$/)
  t.equal(answer.url, `https://onboard.example.com/meta/data-deletion/${answer.confirmation_code}`)

  const before = await page(h, answer.confirmation_code)
  t.equal(before.statusCode, 200)
  t.match(before.headers['content-type'], /^text\/html/)
  t.match(before.headers['content-security-policy'], /frame-ancestors 'none'/)
  t.equal(before.headers['cache-control'], 'no-store')
  t.match(before.body, /request to delete the data .* was received on \d{4}-\d\d-\d\d \d\d:\d\d UTC/)
  t.match(before.body, new RegExp(answer.confirmation_code))
  t.match(before.body, /has not acknowledged your request yet/)
  t.notMatch(before.body, /218471/, 'the page does not show the user ID')

  const [event] = await h.receiver.waitFor((e) => e.length >= 1)
  t.equal(event!.type, 'meta.data_deletion_requested')
  t.same(event!.body.data, { user_id: '218471', issued_at: 1291836800, confirmation_code: answer.confirmation_code, status_url: answer.url })
  const acknowledged = await deliveredAt(h, event!.id)
  const after = await page(h, answer.confirmation_code)
  t.match(after.body, `acknowledged your request on ${shown(acknowledged)}`)
  t.match(after.body, /was received/)
  t.notMatch(after.body, /has been deleted/)

  const done = await complete(h, answer.confirmation_code)
  t.equal(done.statusCode, 200)
  t.equal(done.headers['cache-control'], 'no-store')
  const view = done.json()
  t.match(view, { confirmation_code: answer.confirmation_code, status: 'completed', user_id: '218471', issued_at: 1291836800, acknowledged_at: acknowledged, status_url: answer.url })
  t.ok(Date.parse(view.completed_at) >= Date.parse(view.received_at))
  const completed = await page(h, answer.confirmation_code)
  t.match(completed.body, /<title>Your data has been deleted<\/title>/)
  t.match(completed.body, `reported on ${shown(view.completed_at)} that your data has been deleted`)
  t.match(completed.body, `acknowledged your request on ${shown(acknowledged)}`)

  const twice = await complete(h, answer.confirmation_code)
  t.equal(twice.statusCode, 200, 'marking it again is harmless')
  t.equal(twice.json().completed_at, view.completed_at, 'and changes nothing')
  const ttl = await h.redis.ttl(`${h.prefix}data-deletion:${answer.confirmation_code}`)
  t.ok(ttl > 0 && ttl <= h.config.retentionSeconds, `kept for the retention period (${ttl} s)`)
})

t.test('completed before the partner acknowledged: the page says both what is done and what is not', async (t) => {
  const h = await build(t, { env: { WEBHOOK_RETRY_SCHEDULE: '10s' } })
  h.receiver.plan.push(500)
  const { confirmation_code: code } = await requestDeletion(h)
  await h.receiver.waitFor((e) => e.length >= 1)
  const view = (await complete(h, code)).json()
  t.equal(view.acknowledged_at, null)
  const body = (await page(h, code)).body
  t.match(body, /has not acknowledged your request yet/)
  t.match(body, /has been deleted/)
})

t.test('confirmation codes are unique and unguessable', async (t) => {
  const h = await build(t)
  const codes = new Set<string>()
  for (let i = 0; i < 20; i++) codes.add((await requestDeletion(h, String(1000 + i))).confirmation_code)
  t.equal(codes.size, 20)
  for (const code of codes) t.match(code, /^[A-Za-z0-9]{24}$/)
  await h.receiver.waitFor((e) => e.length >= 20)
})

t.test('an unknown code: a 404 page, and 404 data_deletion_not_found from the partner API', async (t) => {
  const h = await build(t)
  for (const code of ['AAAAAAAAAAAAAAAAAAAAAAAA', 'short', '<script>alert(1)</script>', 'x'.repeat(150)]) {
    const res = await page(h, encodeURIComponent(code))
    t.equal(res.statusCode, 404, `page ${code.slice(0, 30)}`)
    t.match(res.headers['content-type'], /^text\/html/)
    t.notMatch(res.body, /<script>/)
  }
  const long = await page(h, 'x'.repeat(300))
  t.equal(long.statusCode, 404, 'a code longer than any path parameter is an unknown code too')
  t.match(long.headers['content-type'], /^text\/html/)
  const api = await complete(h, 'AAAAAAAAAAAAAAAAAAAAAAAA')
  t.equal(api.statusCode, 404)
  t.match(api.json(), { code: 'data_deletion_not_found' })
})

t.test('the partner API: its key is required, and the body must say completed', async (t) => {
  const h = await build(t)
  const { confirmation_code: code } = await requestDeletion(h)
  for (const headers of [{}, { authorization: 'Bearer nope' }, { authorization: `Basic ${API_KEY}` }] as Array<Record<string, string>>) {
    const res = await complete(h, code, { status: 'completed' }, headers)
    t.equal(res.statusCode, 401)
    t.match(res.json(), { code: 'unauthorized' })
    t.ok(res.headers['www-authenticate'])
  }
  for (const body of [{}, { status: 'done' }, { status: 'completed', extra: 1 }, { status: true }]) {
    const res = await complete(h, code, body)
    t.equal(res.statusCode, 400, JSON.stringify(body))
    t.match(res.json(), { code: 'invalid_request' })
  }
  const text = await h.app.inject({ method: 'POST', url: `/v1/data-deletions/${code}`, headers: { ...auth, 'content-type': 'text/plain' }, payload: 'completed' })
  t.equal(text.statusCode, 415)
  t.equal((await page(h, code)).body.includes('has been deleted'), false, 'nothing was marked')
  await h.receiver.waitFor((e) => e.length >= 1)
})

t.test('the in-process store keeps requests, events and completion the same way', async (t) => {
  const h = await build(t, { memory: true })
  const { confirmation_code: code } = await requestDeletion(h)
  const [event] = await h.receiver.waitFor((e) => e.length >= 1)
  t.equal(event!.body.data.confirmation_code, code)
  await deliveredAt(h, event!.id)
  t.match((await complete(h, code)).json(), { status: 'completed', acknowledged_at: /^\d{4}-/ })
  t.match((await page(h, code)).body, /has been deleted/)
  t.equal((await page(h, 'AAAAAAAAAAAAAAAAAAAAAAAA')).statusCode, 404)
})
