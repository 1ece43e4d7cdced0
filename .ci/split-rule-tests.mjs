// Splits a promtool rule-test file into one file per test group, so .ci/run can run each group alone and count
// promtool's own verdict (its exit code) per group: `promtool test rules` prints no totals, only SUCCESS or the
// failures of a whole file. The written files name the rule files by absolute path, since promtool reads them
// relative to the test file and the copies live elsewhere.
//   node .ci/split-rule-tests.mjs deploy/prometheus/alerts.test.yml OUT_DIR   → prints one path per group
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { parse, stringify } from 'yaml'

const [source, outDir] = process.argv.slice(2)
if (!source || !outDir) {
  console.error('usage: node .ci/split-rule-tests.mjs TEST_FILE OUT_DIR')
  process.exit(2)
}

const { tests, rule_files: ruleFiles = [], ...settings } = parse(readFileSync(source, 'utf8')) ?? {}
if (!Array.isArray(tests) || tests.length === 0) {
  console.error(`${source} has no test groups`)
  process.exit(1)
}
const absoluteRuleFiles = ruleFiles.map((file) => resolve(dirname(source), file))

mkdirSync(outDir, { recursive: true })
tests.forEach((group, i) => {
  // a readable file name (promtool prints it), unique through its position
  const name = String(group?.name ?? 'unnamed').replace(/[^A-Za-z0-9_-]+/g, '_').slice(0, 80)
  const path = join(outDir, `${String(i + 1).padStart(2, '0')}-${name}.yml`)
  writeFileSync(path, stringify({ rule_files: absoluteRuleFiles, ...settings, tests: [group] }))
  console.log(path)
})
