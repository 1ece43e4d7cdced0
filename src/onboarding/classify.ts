// The checks that decide whether a token fits the flow the admin was sent to, in the contract's order:
// flow_mismatch, then missing_permissions, then missing_assets. Pure functions: the pipeline feeds them what
// Meta said.
import { needsBusinessAdAccount, type FlowDefinition } from '../flows/flows.js'
import type { TokenInfo } from '../meta/meta-client.js'
import { OnboardingFailure } from './onboarding-failure.js'

/**
 * A system-user token never expires; a user token always does. `type` alone is not trusted: Meta's own
 * examples show business tokens typed USER.
 */
export function checkTokenKind (flow: FlowDefinition, token: TokenInfo): void {
  const carriedForbidden = flow.forbiddenScopes.filter((s) => token.scopes.includes(s))
  if (carriedForbidden.length > 0) {
    throw new OnboardingFailure('flow_mismatch', `The token carries ${carriedForbidden.join(', ')}, which the ${flow.name} flow never grants`)
  }
  if (flow.tokenType === 'user' && token.expiresAt === 0) {
    throw new OnboardingFailure('flow_mismatch', `The ${flow.name} flow yields a user token, which always expires; this token never does`)
  }
  if (flow.tokenType === 'system_user' && token.expiresAt !== 0) {
    throw new OnboardingFailure('flow_mismatch', `The ${flow.name} flow yields a system-user token, which never expires; this token does`)
  }
}

/** A business system-user token answers /me with the business it belongs to. */
export function checkBusiness (flow: FlowDefinition, clientBusinessId: string | null): void {
  if (clientBusinessId === null) {
    throw new OnboardingFailure('flow_mismatch', `The ${flow.name} flow yields a business system-user token; this token belongs to no business`)
  }
}

/** `alsoNeeded`: permissions the calls this token still needs require (pages_show_list for /me/accounts) */
export function checkPermissions (flow: FlowDefinition, scopes: readonly string[], alsoNeeded: readonly string[] = []): void {
  const missing = [...new Set([...flow.requiredScopes, ...alsoNeeded])].filter((s) => !scopes.includes(s))
  if (missing.length > 0) {
    throw new OnboardingFailure('missing_permissions', `The admin did not grant ${missing.join(', ')}`, { missing_scopes: [...missing].sort() })
  }
}

export function checkAssets (flow: FlowDefinition, pageIds: readonly string[], adAccountIds: readonly string[]): void {
  if (pageIds.length === 0) throw new OnboardingFailure('missing_assets', 'The admin did not grant any Facebook Page')
  if (needsBusinessAdAccount(flow) && adAccountIds.length === 0) {
    throw new OnboardingFailure('missing_assets', 'The admin did not grant any ad account')
  }
}

const byNumericValue = (a: string, b: string): number => {
  const x = BigInt(a)
  const y = BigInt(b)
  return x < y ? -1 : x > y ? 1 : 0
}

/** Digits only, without duplicates, in ascending numeric order; anything that is not an ID is dropped. */
export function normalizeIds (ids: Iterable<string>, prefix = ''): string[] {
  const digits = new Set<string>()
  for (const id of ids) {
    const bare = id.startsWith('act_') ? id.slice(4) : id
    if (/^\d{1,30}$/.test(bare)) digits.add(bare.replace(/^0+(?=\d)/, ''))
  }
  return [...digits].sort(byNumericValue).map((d) => prefix + d)
}
