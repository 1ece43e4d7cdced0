// The Meta calls the service makes, by the name their metrics and errors carry. A leaf module: it imports nothing.

export type MetaEndpoint = 'exchange' | 'debug_token' | 'me' | 'long_lived' | 'assets' | 'asset_connections'
  // provisioning after a completed onboarding (README, "Ready to send")
  | 'page_token' | 'subscribed_apps' | 'ad_account'
