// The simulated Meta's side of provisioning after an onboarding: the routes of the Page token, Page subscription
// and ad account calls, and the state behind them, kept apart so meta-simulator.ts only mounts them.
import type { SimContext, SimRequest, SimRoute } from './meta-simulator-graph.js'
import { SimulatedAdAccounts, adAccount } from './meta-simulator-ad-accounts.js'
import { SimulatedPages, pageNode, subscribedApps } from './meta-simulator-pages.js'

export class Provisioning {
  readonly pages = new SimulatedPages()
  readonly adAccounts = new SimulatedAdAccounts()

  /** `version` is the pattern of a path's version segment (`/v26.0`) */
  routes (version: string, ctx: () => SimContext): SimRoute[] {
    const asksToken = (req: SimRequest): boolean => (req.query['fields'] ?? '').split(',').some((f) => f.trim() === 'access_token')
    return [
      {
        method: 'GET',
        path: new RegExp(`^${version}/(\\d+)$`),
        // the Page node read for anything but its token is none of the calls provisioning makes
        endpoint: (req) => asksToken(req) ? 'page_token' : 'other',
        handle: (req, match) => pageNode(req, ctx(), this.pages, match[1] ?? '')
      },
      // Meta takes the parameters in the query or a form body: both are served
      ...['GET', 'POST'].map((method): SimRoute => ({
        method,
        path: new RegExp(`^${version}/(\\d+)/subscribed_apps$`),
        endpoint: () => 'subscribed_apps',
        handle: (req, match) => subscribedApps(req, ctx(), this.pages, match[1] ?? '', method)
      })),
      {
        method: 'GET',
        path: new RegExp(`^${version}/act_(\\d+)$`),
        endpoint: () => 'ad_account',
        handle: (req, match) => adAccount(req, ctx(), this.pages, this.adAccounts, match[1] ?? '')
      }
    ]
  }

  clear (): void {
    this.pages.clear()
    this.adAccounts.clear()
  }
}
