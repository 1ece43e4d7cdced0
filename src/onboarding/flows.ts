// The three Facebook Login for Business flows of the Marketing Messages API for Messenger, as data
// (SPEC §1). Classification and the pipeline read these instead of branching on flow names.

export const FLOW_NAMES = ['business_portfolio', 'asset_based', 'partner_billing'] as const
export type FlowName = typeof FLOW_NAMES[number]

export interface FlowDefinition {
  name: FlowName
  /** what the token must be: a system-user token never expires; a user token always does */
  tokenType: 'system_user' | 'user'
  requiredScopes: readonly string[]
  /** scopes whose presence proves the token belongs to another flow */
  forbiddenScopes: readonly string[]
  /** whether the admin must grant at least one ad account (flow 3 bills the partner's own account instead) */
  needsAdAccount: boolean
  /** the manual dialog needs these for system-user (SUAT) configurations only */
  overrideDefaultResponseType: boolean
}

export const FLOWS: Record<FlowName, FlowDefinition> = {
  business_portfolio: {
    name: 'business_portfolio',
    tokenType: 'system_user',
    requiredScopes: ['ads_management', 'pages_messaging', 'paid_marketing_messages'],
    forbiddenScopes: [],
    needsAdAccount: true,
    overrideDefaultResponseType: true
  },
  asset_based: {
    name: 'asset_based',
    tokenType: 'user',
    requiredScopes: ['ads_management', 'pages_messaging', 'marketing_messages_messenger'],
    forbiddenScopes: ['paid_marketing_messages'],
    needsAdAccount: true,
    overrideDefaultResponseType: false
  },
  partner_billing: {
    name: 'partner_billing',
    tokenType: 'system_user',
    requiredScopes: ['ads_management', 'pages_messaging', 'business_management', 'paid_marketing_messages'],
    forbiddenScopes: [],
    needsAdAccount: false,
    overrideDefaultResponseType: true
  }
}
