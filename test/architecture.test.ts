// The layout docs/architecture.md describes, checked on the source itself: folders import only the layers below
// them (the folder-level import graph of src/ has no cycle), the leaf modules import nothing of the service,
// the flows are named in one file only, and no source file outgrows what one concern needs.
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, normalize, relative, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { FLOW_NAMES } from '../src/flows/flows.js'

const SRC = fileURLToPath(new URL('../src/', import.meta.url))
const MAX_LINES = 300

function sources (dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name)
    return entry.isDirectory() ? sources(path) : entry.name.endsWith('.ts') ? [path] : []
  })
}

/** a file's folder under src/ ('.' for the entry points at the top) */
const folderOf = (path: string): string => {
  const parts = relative(SRC, path).split(sep)
  return parts.length > 1 ? parts[0]! : '.'
}

const files = sources(SRC).map((path) => {
  const text = readFileSync(path, 'utf8')
  // relative imports and re-exports, type-only ones included: a type is a dependency too
  const imports = [...text.matchAll(/^(?:import|export)\b[^'"]*?from\s+'(\.[^']+)'/gm)]
    .map((m) => normalize(join(dirname(path), m[1]!.replace(/\.js$/, '.ts'))))
  return { path, name: relative(SRC, path), folder: folderOf(path), text, imports }
})

const outsideSandbox = files.filter((f) => f.folder !== 'sandbox')

t.test('the folder-level import graph of src/ (the sandbox aside) has no cycle', async (t) => {
  const edges = new Map<string, Set<string>>()
  for (const file of outsideSandbox) {
    for (const target of file.imports) {
      const to = folderOf(target)
      if (to !== file.folder) edges.set(file.folder, (edges.get(file.folder) ?? new Set()).add(to))
    }
  }
  const cycles: string[] = []
  const visit = (folder: string, path: string[]): void => {
    for (const next of edges.get(folder) ?? []) {
      if (path.includes(next)) cycles.push([...path.slice(path.indexOf(next)), next].join(' → '))
      else visit(next, [...path, next])
    }
  }
  for (const folder of edges.keys()) visit(folder, [folder])
  t.same([...new Set(cycles)], [], 'no folder imports one that imports it back')
  t.ok(edges.size > 5, `${edges.size} folders import others`)
})

t.test('nothing outside the sandbox imports it, and nothing but server.ts imports the app', async (t) => {
  const wrong = outsideSandbox.filter((file) => file.name !== 'server.ts').flatMap((file) => file.imports
    .filter((target) => folderOf(target) === 'sandbox' || ['app.ts', 'server.ts'].includes(relative(SRC, target)))
    .map((target) => `${file.name} → ${relative(SRC, target)}`))
  t.same(wrong, [])
})

t.test('the leaf modules import nothing of the service', async (t) => {
  const leaves = files.filter((f) => ['flows', 'lib', 'observability'].includes(f.folder) || f.name === join('meta', 'meta-endpoints.ts'))
  t.ok(leaves.length >= 7, `${leaves.length} leaf modules`)
  for (const leaf of leaves) {
    t.same(leaf.imports.filter((target) => folderOf(target) !== leaf.folder), [], `${leaf.name} imports only its own folder`)
  }
})

t.test('the flows are named in one file of src/ (the sandbox aside)', async (t) => {
  const naming = outsideSandbox.filter((file) => FLOW_NAMES.some((name) => file.text.includes(name))).map((f) => f.name)
  t.same(naming, [join('flows', 'flows.ts')])
})

t.test(`no source file is longer than ${MAX_LINES} lines`, async (t) => {
  const long = files.map((f) => ({ name: f.name, lines: f.text.split('\n').length - 1 })).filter((f) => f.lines > MAX_LINES)
  t.same(long, [])
})
