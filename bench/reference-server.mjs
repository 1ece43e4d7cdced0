// The leanest code that does the same whole job as the product for a flow-1 onboarding, as the benchmark's
// yardstick: session JSON in Redis, state + nonce cookie, GETDEL, code exchange, debug_token, /me with
// appsecret_proof, a Standard Webhooks signature and the webhook POST awaited inline, session marked
// completed, 303. No logs, no validation beyond the essentials, no sealing, no queue, no metrics.
// Reads the product's environment variables; started by bench/logins.mjs.
import { createHmac, randomBytes } from 'node:crypto'
import { createServer } from 'node:http'
import { Redis } from 'ioredis'
import { Webhook } from 'standardwebhooks'
import { request } from 'undici'

const env = process.env
const redis = new Redis(env.REDIS_URL)
const graph = `${env.META_GRAPH_URL}/${env.META_GRAPH_VERSION ?? 'v26.0'}`
const redirectUri = `${env.PUBLIC_BASE_URL}/oauth/callback`
const signer = new Webhook(env.WEBHOOK_SECRET)
const apiKey = `Bearer ${env.PARTNER_API_KEYS}`

const getJson = async (url) => (await request(url)).body.json()

async function callback (url, req, res) {
  const state = url.searchParams.get('state')
  const nonce = /(?:^|;\s*)nonce=([^;]+)/.exec(req.headers.cookie ?? '')?.[1]
  const saved = state && await redis.getdel(`ref:state:${state}`)
  if (!saved || !nonce) return res.writeHead(400).end('bad state')
  const { sid, nonce: expected } = JSON.parse(saved)
  if (nonce !== expected) return res.writeHead(400).end('bad browser')
  const q = new URLSearchParams({ client_id: env.META_APP_ID, client_secret: env.META_APP_SECRET, code: url.searchParams.get('code'), redirect_uri: redirectUri })
  const { access_token: token } = await getJson(`${graph}/oauth/access_token?${q}`)
  const { data } = await getJson(`${graph}/debug_token?input_token=${token}&access_token=${env.META_APP_ID}|${env.META_APP_SECRET}`)
  const time = Math.floor(Date.now() / 1000)
  const proof = createHmac('sha256', env.META_APP_SECRET).update(`${token}|${time}`).digest('hex')
  const me = await getJson(`${graph}/me?fields=id,client_business_id&access_token=${token}&appsecret_proof=${proof}&appsecret_time=${time}`)
  const session = JSON.parse(await redis.get(`ref:session:${sid}`))
  const id = `evt_${randomBytes(16).toString('hex')}`
  const body = JSON.stringify({ type: 'onboarding.completed', timestamp: new Date().toISOString(), data: { session_id: sid, flow: session.flow, access_token: token, scopes: data.scopes, business_id: me.client_business_id, system_user_id: me.id } })
  const now = new Date()
  const hook = await request(env.WEBHOOK_URL, {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/json', 'webhook-id': id, 'webhook-timestamp': String(Math.floor(now / 1000)), 'webhook-signature': signer.sign(id, now, body) }
  })
  await hook.body.dump()
  await redis.set(`ref:session:${sid}`, JSON.stringify({ ...session, status: 'completed' }), 'EX', 3600)
  res.writeHead(303, { location: `${session.return_url}?session_id=${sid}&status=completed` }).end()
}

createServer(async (req, res) => {
  try {
    const url = new URL(req.url, 'http://x')
    if (req.method === 'POST' && url.pathname === '/v1/sessions') {
      if (req.headers.authorization !== apiKey) return res.writeHead(401).end()
      let raw = ''
      for await (const chunk of req) raw += chunk
      const input = JSON.parse(raw)
      const id = `ses_${randomBytes(16).toString('hex')}`
      await redis.set(`ref:session:${id}`, JSON.stringify({ id, flow: input.flow, return_url: input.return_url, status: 'pending' }), 'EX', 3600)
      return res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify({ id, login_url: `${env.PUBLIC_BASE_URL}/login/${id}` }))
    }
    if (req.method === 'GET' && url.pathname.startsWith('/login/')) {
      const id = url.pathname.slice(7)
      if (!await redis.exists(`ref:session:${id}`)) return res.writeHead(404).end()
      const nonce = /(?:^|;\s*)nonce=([^;]+)/.exec(req.headers.cookie ?? '')?.[1] ?? randomBytes(32).toString('base64url')
      const state = randomBytes(32).toString('base64url')
      await redis.set(`ref:state:${state}`, JSON.stringify({ sid: id, nonce }), 'EX', 600)
      const dialog = new URL(`${env.META_DIALOG_URL}/${env.META_GRAPH_VERSION ?? 'v26.0'}/dialog/oauth`)
      dialog.search = new URLSearchParams({ client_id: env.META_APP_ID, redirect_uri: redirectUri, state, config_id: env.META_CONFIG_ID_BUSINESS_PORTFOLIO, response_type: 'code', override_default_response_type: 'true' })
      return res.writeHead(302, { location: dialog.href, 'set-cookie': `nonce=${nonce}; HttpOnly; SameSite=Lax; Path=/` }).end()
    }
    if (req.method === 'GET' && url.pathname === '/oauth/callback') return await callback(url, req, res)
    if (url.pathname === '/healthz') return res.end('ok')
    res.writeHead(404).end()
  } catch {
    res.writeHead(500).end()
  }
}).listen(Number(env.PORT), env.HOST ?? '127.0.0.1')
