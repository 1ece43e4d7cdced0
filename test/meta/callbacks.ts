// Shared by the tests of Meta's app callbacks: requests as Meta makes them, and what "no event" means.
import type { LightMyRequestResponse } from 'fastify'
import { hubSignature } from '../../src/meta/app-webhook-signature.js'
import type { Harness } from '../helper.js'

export const FORM = { 'content-type': 'application/x-www-form-urlencoded' }

export function postForm (h: Harness, url: string, fields: Record<string, string>): Promise<LightMyRequestResponse> {
  return h.app.inject({ method: 'POST', url, headers: FORM, payload: new URLSearchParams(fields).toString() })
}

/** a notification with the given raw body; `signature` defaults to Meta's signature of exactly these bytes */
export function postWebhook (h: Harness, raw: string | Buffer, signature: string | null = hubSignature(raw, h.config.meta.appSecret)): Promise<LightMyRequestResponse> {
  return h.app.inject({
    method: 'POST',
    url: '/meta/webhooks',
    headers: { 'content-type': 'application/json', ...(signature === null ? {} : { 'x-hub-signature-256': signature }) },
    payload: raw
  })
}

export const settle = (ms = 200) => new Promise((resolve) => setTimeout(resolve, ms))

/** no delivery recorded and nothing received: what every refused callback must leave behind */
export async function nothingRecorded (h: Harness): Promise<{ deliveries: number; received: number }> {
  await settle()
  const keys = await h.redis.keys(`${h.prefix}delivery:*`)
  return { deliveries: keys.length, received: h.receiver.events.length + h.receiver.rejected.length }
}
