// What the configuration tests share: the test environment of test/helper.ts (with a Meta and a webhook URL
// nothing listens on), and the ConfigError loadConfig throws for an environment, with the variables it names.
import type { Test } from 'tap'
import { ConfigError, loadConfig } from '../../src/config/config.js'
import { testEnv } from '../helper.js'

const SIM = { url: 'http://127.0.0.1:9' }
export const HOOK = 'https://partner.example.com/hooks/onboarding'
export const env = (overrides: Record<string, string | undefined> = {}) => testEnv(SIM, HOOK, overrides)

/** the ConfigError loadConfig throws for this environment (fails the test when it does not throw) */
export function configError (t: Test, e: NodeJS.ProcessEnv): ConfigError {
  try {
    loadConfig(e)
  } catch (err) {
    t.type(err, ConfigError)
    return err as ConfigError
  }
  t.fail('loadConfig accepted the environment')
  return new ConfigError([])
}

export const named = (err: ConfigError): string[] => err.problems.flatMap((p) => p.variable.split(', '))

export function rejects (t: Test, overrides: Record<string, string | undefined>, variable: string, message?: RegExp): ConfigError {
  const err = configError(t, env(overrides))
  t.ok(named(err).includes(variable), `${variable} is named (${JSON.stringify(err.problems)})`)
  t.match(err.message, variable)
  if (message) t.match(err.problems.find((p) => p.variable.split(', ').includes(variable))?.message, message)
  return err
}
