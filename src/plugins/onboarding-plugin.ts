// The onboarding: the Meta client, the sessions the partner opens, and the browser's way from login to outcome,
// whose outcome enters the delivery plugin's outbox. Also Meta's data deletion requests, which go through the
// same outbox.
import fp from 'fastify-plugin'
import type { Dispatcher } from 'undici'
import type { Config } from '../config/config.js'
import { DataDeletions } from '../data-deletion/data-deletions.js'
import { MetaClient } from '../meta/meta-client.js'
import { Onboarding } from '../onboarding/onboarding.js'
import { Sessions } from '../sessions/sessions.js'
import { TokenVault } from '../sessions/token-vault.js'

declare module 'fastify' {
  interface FastifyInstance {
    onboarding: { sessions: Sessions; logins: Onboarding; dataDeletions: DataDeletions }
  }
}

export interface OnboardingPluginOptions {
  config: Config
  dispatcher?: Dispatcher | undefined
  now: () => number
}

export default fp<OnboardingPluginOptions>(async function onboarding (app, { config, dispatcher, now }) {
  const { stores, sealer, metrics, delivery: { outbox } } = app
  const meta = new MetaClient({ ...config.meta, dispatcher, metrics, now })
  const sessions = new Sessions({ config, sessions: stores.sessions, deliveries: stores.deliveries, metrics, now })
  const tokens = new TokenVault(stores.sessions, sealer, config.retentionSeconds)
  app.decorate('onboarding', {
    sessions,
    logins: new Onboarding({ config, store: stores.sessions, sessions, meta, tokens, outbox, metrics, now }),
    dataDeletions: new DataDeletions({ config, store: stores.dataDeletions, deliveries: stores.deliveries, outbox, now })
  })
}, { name: 'onboarding', dependencies: ['store', 'metrics', 'delivery'] })
