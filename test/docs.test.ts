// README.md and .env.example must describe every variable the code reads, and nothing it does not.
import { readFileSync } from 'node:fs'
import t from 'tap'
import { CONFIG_VARIABLES, loadConfig } from '../src/config/config.js'

const read = (name: string) => readFileSync(new URL(`../${name}`, import.meta.url), 'utf8')

t.test('.env.example lists every variable, each with a comment, and parses', async (t) => {
  const text = read('.env.example')
  const lines = text.split('\n')
  const documented = new Map<string, number>()
  lines.forEach((line, i) => {
    const match = /^#?\s?([A-Z][A-Z0-9_]+)=/.exec(line)
    if (match) documented.set(match[1]!, i)
  })
  t.same([...documented.keys()].sort(), [...CONFIG_VARIABLES].sort())
  for (const [name, i] of documented) t.match(lines[i - 1], /^#/, `${name} has a comment above it`)
  const env = Object.fromEntries(lines.map((l) => /^([A-Z][A-Z0-9_]+)=(.*)$/.exec(l)).filter((m) => m !== null).map((m) => [m![1], m![2]]))
  t.doesNotThrow(() => loadConfig(env), 'the example configuration is valid')
})

t.test('README names every variable', async (t) => {
  const readme = read('README.md')
  t.same(CONFIG_VARIABLES.filter((name) => !readme.includes(`\`${name}\``)), [])
})
