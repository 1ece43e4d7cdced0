// The Facebook Login for Business flows of the Marketing Messages API for Messenger, one record each. Everything
// that differs between flows is read from here: the configuration variable, the token Meta issues, the scopes,
// who is billed, the dialog's options and the words a person reads. This is the one file of the service that
// names the flows; adding a flow is a record here plus whatever Meta calls it needs.
//
// Sources: Meta's *Onboard businesses* guide for Marketing Messages on Messenger (the three flows compared: who
// each suits, the permissions, the token each yields, who is billed),
// https://developers.facebook.com/documentation/business-messaging/messenger-platform/marketing-messages-on-messenger/onboard-businesses
// and *Facebook Login for Business* (system-user configurations need `override_default_response_type=true`),
// https://developers.facebook.com/documentation/facebook-login/facebook-login-for-business.
// A leaf module: it imports nothing.

export interface FlowWords {
  /** Meta's number and name of the flow, as the admin may meet it in Meta's own pages */
  title: string
  /** who the flow suits */
  suits: string
  /** the permission the admin needs */
  permission: string
  /** the access the platform gets */
  access: string
  /** whose ad account pays for the messages */
  billing: string
  /**
   * the chooser recommends this flow: `tag` follows "Recommended" on its card, `advice` is the condition of the
   * sentence above the cards ("…, choose <title>."). At most one flow is recommended.
   */
  recommended?: { tag: string; advice: string }
  /** one line for the sandbox's start page */
  summary: string
}

export interface FlowDefinition {
  /** the API name, in requests, sessions, events and metrics */
  name: string
  /** Meta's name of the flow */
  metaName: string
  /** the environment variable that holds the flow's Login for Business configuration ID; unset = disabled */
  configIdVariable: string
  /** what the token must be: a system-user token never expires; a user token always does */
  tokenType: 'system_user' | 'user'
  requiredScopes: readonly string[]
  /** scopes whose presence proves the token belongs to another flow */
  forbiddenScopes: readonly string[]
  /**
   * whose ad account is billed: `business`, an ad account the admin grants (at least one is required);
   * `partner`, PARTNER_AD_ACCOUNT_ID, connected to the business's system user after the login
   */
  billing: 'business' | 'partner'
  /** the manual dialog forces the code grant for system-user (SUAT) configurations only */
  dialog: { overrideDefaultResponseType: boolean }
  words: FlowWords
}

/** In Meta's order (Flow 1, 2, 3): lists of flows are shown and stored in this order. */
export const FLOW_LIST = [
  {
    name: 'business_portfolio',
    metaName: 'Business Portfolio Flow',
    configIdVariable: 'META_CONFIG_ID_BUSINESS_PORTFOLIO',
    tokenType: 'system_user',
    requiredScopes: ['ads_management', 'pages_messaging', 'paid_marketing_messages'],
    forbiddenScopes: [],
    billing: 'business',
    dialog: { overrideDefaultResponseType: true },
    words: {
      title: 'Flow 1: Business portfolio',
      suits: 'A business whose Facebook Page and ad account belong to the same business portfolio, connected by an admin of that portfolio.',
      permission: 'Full control of the business portfolio that owns the Page and the ad account.',
      access: 'A business token (a system user of your portfolio) that does not expire.',
      billing: 'Your own ad account, in the same portfolio as your Page.',
      recommended: { tag: 'if you are a business portfolio admin', advice: 'If you are an admin of your business portfolio' },
      summary: 'A business admin connects the portfolio; the platform gets a system-user token that never expires and bills the business’s own ad account.'
    }
  },
  {
    name: 'asset_based',
    metaName: 'Asset-Based Flow',
    configIdVariable: 'META_CONFIG_ID_ASSET_BASED',
    tokenType: 'user',
    requiredScopes: ['ads_management', 'pages_messaging', 'marketing_messages_messenger'],
    forbiddenScopes: ['paid_marketing_messages'],
    billing: 'business',
    dialog: { overrideDefaultResponseType: false },
    words: {
      title: 'Flow 2: Asset-based',
      suits: 'Someone who manages the Page and the ad account without being an admin of the whole business portfolio, or whose Page and ad account belong to different portfolios.',
      permission: 'Full control of the Facebook Page and of the ad account.',
      access: 'A token tied to your own Facebook account. It expires after about 60 days; you then connect again.',
      billing: 'Your own ad account; it need not belong to the same portfolio as the Page.',
      summary: 'Someone with access to the Page and ad account connects them; the platform gets a user token made long-lived (about 60 days).'
    }
  },
  {
    name: 'partner_billing',
    metaName: 'Partner Billing Flow',
    configIdVariable: 'META_CONFIG_ID_PARTNER_BILLING',
    tokenType: 'system_user',
    requiredScopes: ['ads_management', 'pages_messaging', 'business_management', 'paid_marketing_messages'],
    forbiddenScopes: [],
    billing: 'partner',
    dialog: { overrideDefaultResponseType: true },
    words: {
      title: 'Flow 3: Partner billing',
      suits: 'A business with a Facebook Page that does not want to use an ad account of its own: the platform pays for the messages.',
      permission: 'Full control of the business portfolio that owns the Page.',
      access: 'A business token (a system user of your portfolio) that does not expire.',
      billing: 'The platform’s own ad account, connected to your business. You do not need an ad account.',
      summary: 'A business admin connects the Page; the platform gets a system-user token and the partner’s own ad account is billed.'
    }
  }
] as const satisfies readonly FlowDefinition[]

export type FlowName = typeof FLOW_LIST[number]['name']
export type FlowConfigIdVariable = typeof FLOW_LIST[number]['configIdVariable']

export const FLOW_NAMES = FLOW_LIST.map((flow) => flow.name) as [FlowName, ...FlowName[]]

export const FLOWS = Object.fromEntries(FLOW_LIST.map((flow): [FlowName, FlowDefinition] => [flow.name, flow])) as Record<FlowName, FlowDefinition>

/** the flows among `names`, in Meta's order and without repeats */
export const inFlowOrder = (names: readonly string[]): FlowName[] => FLOW_NAMES.filter((name) => names.includes(name))

/** whether the admin must grant an ad account: a flow that bills the partner needs none of the business's */
export const needsBusinessAdAccount = (flow: FlowDefinition): boolean => flow.billing === 'business'
