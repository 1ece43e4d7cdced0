// What a log line keeps of an error: its name, message and code, never its stack, cause or other fields, where a
// URL with a token could hide. The service's logger uses this for every `err`.
import { Writable } from 'node:stream'
import t from 'tap'
import Fastify from 'fastify'
import { loggerOptions } from '../../src/http/plugins/request-log.js'
import { errorSummary } from '../../src/lib/error-summary.js'

const secretUrl = 'https://graph.facebook.com/v26.0/me?access_token=EAAsecretsecretsecretsecret'

t.test('name, message and a string code; nothing else', async (t) => {
  const err = Object.assign(new TypeError('fetch failed', { cause: new Error(secretUrl) }), { code: 'UND_ERR_SOCKET', url: secretUrl })
  t.same(errorSummary(err), { type: 'TypeError', message: 'fetch failed', code: 'UND_ERR_SOCKET' })
  t.same(errorSummary(Object.assign(new Error('x'), { code: 42 })), { type: 'Error', message: 'x' }, 'a code that is not a string is left out')
})

t.test('something thrown that is not an Error', async (t) => {
  t.same(errorSummary('plain text'), { type: 'string', message: 'plain text' })
  t.same(errorSummary(undefined), { type: 'undefined', message: 'undefined' })
  t.equal(errorSummary('y'.repeat(1000)).message.length, 200, 'bounded')
})

t.test("the service's logger serializes every err this way", async (t) => {
  const lines: string[] = []
  const stream = new Writable({ write (chunk, _enc, done) { lines.push(String(chunk)); done() } })
  const app = Fastify({ logger: loggerOptions('info', stream) })
  t.teardown(() => app.close())
  app.log.warn({ err: Object.assign(new Error('boom', { cause: new Error(secretUrl) }), { url: secretUrl }) }, 'failed')
  const line = JSON.parse(lines.join(''))
  t.same(line.err, { type: 'Error', message: 'boom' })
  t.notMatch(lines.join(''), /EAAsecret|stack/, 'no cause, URL or stack in the line')
})
