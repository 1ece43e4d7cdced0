// deploy/prometheus/alerts.yml and deploy/grafana/messenger-onboarding.json against the service itself: every
// metric they name is one createMetrics() registers (a renamed family breaks this test, not a silent alert),
// every alert carries what the on-call person needs and points at a section of docs/operations.md that exists,
// every alert has its promtool test group, and the oldest-pending threshold still fits the default retry
// schedule. promtool itself runs the rules' unit tests in .ci/run.
import { readFileSync } from 'node:fs'
import t from 'tap'
import { parse } from 'yaml'
import { loadConfig } from '../../src/config/config.js'
import { createMetrics } from '../../src/observability/metrics.js'
import { testEnv } from '../helper.js'

const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8')

interface AlertRule { alert: string; expr: string; for?: string; labels?: Record<string, string>; annotations?: Record<string, string> }
const rules: AlertRule[] = parse(read('deploy/prometheus/alerts.yml')).groups.flatMap((g: { rules: AlertRule[] }) => g.rules)
const ruleTests = parse(read('deploy/prometheus/alerts.test.yml'))
const dashboard = JSON.parse(read('deploy/grafana/messenger-onboarding.json'))
const operations = read('docs/operations.md')

const PROMQL_WORDS = new Set(['and', 'or', 'unless', 'bool', 'offset', 'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'inf', 'nan'])

/**
 * The metric names a PromQL expression selects: what is left once strings, label matchers, ranges, offsets,
 * grouping clauses, Grafana's $variables and numbers are taken out, function names (followed by a parenthesis)
 * and the language's own words aside.
 */
function metricNames (expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\$\{[^}]*\}|\$\w+/g, ' ')
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    .replace(/\boffset\s+-?\w+/g, ' ')
  const names = [...bare.matchAll(/(?<![\w.:])([a-zA-Z_:][a-zA-Z0-9_:]*)(?![\w:]|\s*\()/g)].map((m) => m[1]!)
  return [...new Set(names.filter((name) => !PROMQL_WORDS.has(name.toLowerCase())))]
}

const families = new Map((await createMetrics().registry.getMetricsAsJSON()).map((m) => [m.name, String(m.type)]))
/** the family a series name belongs to: itself, or a histogram's (or summary's) _bucket, _count, _sum */
function familyOf (series: string): string | undefined {
  if (families.has(series)) return series
  const base = series.replace(/_(bucket|count|sum)$/, '')
  const type = families.get(base)
  if (type === 'histogram' || (type === 'summary' && !series.endsWith('_bucket'))) return base
  return undefined
}

/** GitHub's anchor of a Markdown heading */
const anchorOf = (heading: string): string => heading.trim().toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-')
/** Grafana's placeholder for the data source chosen at import */
const DATASOURCE_INPUT = '$' + '{DS_PROMETHEUS}'

const anchors = new Set([...operations.matchAll(/^#{1,6}\s+(.+)$/gm)].map((m) => anchorOf(m[1]!)))

t.test('the extractor finds metric names, and only them', async (t) => {
  t.same(metricNames('sum by (job, le) (rate(a_bucket{status!~"2..", x="y z"}[5m])) > b offset 1h and absent(c) or vector(0)'), ['a_bucket', 'b', 'c'])
  t.same(metricNames('histogram_quantile(0.95, sum by (route, le) (rate(d_bucket{job="$job"}[$__rate_interval]))) * 3600'), ['d_bucket'])
  t.same(metricNames('max without (instance) (e) > 1e3 unless on (job) f'), ['e', 'f'])
  t.same(metricNames('g{job="a:b"} == bool 1'), ['g'])
})

t.test('every metric an alert uses is one the service exports', async (t) => {
  t.ok(rules.length >= 5, `${rules.length} alerts`)
  for (const rule of rules) {
    const names = metricNames(rule.expr)
    t.ok(names.length > 0, `${rule.alert} reads a metric`)
    t.same(names.filter((name) => !familyOf(name)), [], `${rule.alert}: ${names.join(', ')}`)
  }
  t.ok(familyOf('meta_request_duration_seconds_count'), 'a histogram\'s _count is its family')
  t.notOk(familyOf('webhook_dead_letters_count'), 'a gauge has no _count')
})

t.test('every alert says how long, how bad, what, and where its runbook is', async (t) => {
  t.same(rules.map((r) => r.alert).filter((name, i, all) => all.indexOf(name) !== i), [], 'alert names are unique')
  for (const rule of rules) {
    t.match(rule.for, /^\d+[smh]$/, `${rule.alert} has a for:`)
    t.ok(['critical', 'warning'].includes(rule.labels?.severity ?? ''), `${rule.alert} has a severity`)
    t.ok(rule.annotations?.summary && rule.annotations.description, `${rule.alert} has a summary and a description`)
    const runbook = /^docs\/operations\.md#(.+)$/.exec(rule.annotations?.runbook_url ?? '')
    t.ok(runbook && anchors.has(runbook[1]!), `${rule.alert}: ${rule.annotations?.runbook_url} is a section of docs/operations.md`)
  }
})

t.test('every alert has its promtool test group, run against alerts.yml', async (t) => {
  t.same(ruleTests.rule_files, ['alerts.yml'])
  const groups = new Map<string, any>(ruleTests.tests.map((g: any) => [g.name, g]))
  for (const rule of rules) {
    const group = groups.get(rule.alert)
    t.ok(group, `a test group named ${rule.alert}`)
    const cases = (group?.alert_rule_test ?? []).filter((c: any) => c.alertname === rule.alert)
    t.ok(cases.some((c: any) => c.exp_alerts?.length > 0), `${rule.alert}: a case where it fires`)
    t.ok(cases.some((c: any) => (c.exp_alerts ?? []).length === 0), `${rule.alert}: a case where it does not`)
  }
  t.same([...groups.keys()].filter((name) => !rules.some((r) => r.alert === name)), [], 'no test group of an alert that is gone')
})

t.test('the oldest-pending threshold fits the default WEBHOOK_RETRY_SCHEDULE', async (t) => {
  const { webhook } = loadConfig(testEnv({ url: 'http://127.0.0.1:9' }, 'http://127.0.0.1:9/hooks', { WEBHOOK_RETRY_SCHEDULE: undefined, WEBHOOK_TIMEOUT_MS: undefined }))
  // each delay up to 10 % longer (deliverer.ts), each attempt up to its timeout: the latest a delivery ends
  const latestSeconds = (webhook.retryScheduleMs.reduce((a, b) => a + b, 0) * 1.1 + (webhook.retryScheduleMs.length + 1) * webhook.timeoutMs) / 1000
  const rule = rules.find((r) => r.alert === 'WebhookOldestPendingTooOld')!
  const threshold = Number(/>\s*(\d+)\s*$/.exec(rule.expr)![1])
  t.ok(threshold > latestSeconds, `${threshold} s is past the latest end of a delivery (${Math.round(latestSeconds)} s)`)
  t.ok(threshold - latestSeconds < 3600, 'by less than an hour: a stuck queue is noticed soon after')
})

t.test('the Grafana dashboard: importable, on the DS_PROMETHEUS input, and on metrics that exist', async (t) => {
  t.same(dashboard.__inputs.map((i: any) => [i.name, i.type, i.pluginId]), [['DS_PROMETHEUS', 'datasource', 'prometheus']])
  t.type(dashboard.title, 'string')
  t.type(dashboard.uid, 'string')
  const panels: any[] = dashboard.panels.flatMap((p: any) => [p, ...(p.panels ?? [])])
  t.same(panels.map((p) => p.id).filter((id, i, all) => all.indexOf(id) !== i), [], 'panel ids are unique')
  const used = new Set<string>()
  for (const panel of panels.filter((p) => p.type !== 'row')) {
    t.same(panel.datasource, { type: 'prometheus', uid: DATASOURCE_INPUT }, `${panel.title}: the input's datasource`)
    t.ok(panel.gridPos && panel.targets?.length > 0, `${panel.title} has a place and a query`)
    for (const target of panel.targets) {
      t.equal(target.datasource?.uid, DATASOURCE_INPUT)
      const names = metricNames(target.expr)
      t.same(names.filter((name) => !familyOf(name)), [], `${panel.title}: ${names.join(', ')}`)
      for (const name of names) used.add(familyOf(name)!)
    }
  }
  for (const variable of dashboard.templating.list) {
    t.same(variable.datasource, { type: 'prometheus', uid: DATASOURCE_INPUT }, `variable ${variable.name}: the input's datasource`)
    t.same(metricNames(variable.definition.replace(/^label_values\((\w+),.*$/, '$1')).filter((name) => !familyOf(name)), [], `variable ${variable.name}`)
  }
  // what an operator looks at: every family the alerts watch, and the request, session and Meta families
  const wanted = new Set(rules.flatMap((r) => metricNames(r.expr).map((name) => familyOf(name)!)))
  for (const name of ['http_requests_total', 'http_request_duration_seconds', 'onboarding_sessions_total', 'meta_request_duration_seconds', 'webhook_queue_depth']) wanted.add(name)
  t.same([...wanted].filter((name) => !used.has(name)), [], 'a panel for each')
})
