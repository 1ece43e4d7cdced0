// One error handler for every route: problem+json for the API, a small HTML page for browser routes
// (route config `html: true`). 5xx details stay in the log; the client gets a generic message.
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import { ProblemError, StoreUnavailableError, type FieldError } from '../lib/problems.js'
import { CONTENT_SECURITY_POLICY, htmlPage } from './html.js'

declare module 'fastify' {
  interface FastifyContextConfig {
    /** answer errors with an HTML page: the route is opened by a person's browser */
    html?: boolean
  }
}

const FASTIFY_CODES: Record<string, () => ProblemError> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: () => new ProblemError('unsupported_media_type', 'The body must be application/json'),
  FST_ERR_CTP_BODY_TOO_LARGE: () => new ProblemError('payload_too_large', 'The body is larger than this service accepts'),
  FST_ERR_CTP_INVALID_JSON_BODY: () => new ProblemError('invalid_request', 'The body is not valid JSON', { errors: [{ field: 'body', message: 'invalid JSON' }] }),
  FST_ERR_CTP_EMPTY_JSON_BODY: () => new ProblemError('invalid_request', 'The body is empty', { errors: [{ field: 'body', message: 'required' }] }),
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: () => new ProblemError('invalid_request', 'Content-Length does not match the body')
}

interface ValidationIssue { instancePath?: string; message?: string; params?: { keys?: string[] } }

function validationProblem (err: FastifyError): ProblemError {
  const where = err.validationContext ?? 'request'
  const errors: FieldError[] = (err.validation as ValidationIssue[]).map((issue) => {
    const path = (issue.instancePath ?? '').replace(/^\//, '').replace(/\//g, '.')
    // zod reports unknown keys on the parent object; name the keys themselves
    const keys = issue.params?.keys
    const field = keys?.length ? keys.map((k) => (path ? `${path}.${k}` : k)).join(', ') : path || where
    return { field, message: issue.message ?? 'invalid' }
  })
  const named = errors.map((e) => `${e.field}: ${e.message}`).join('; ')
  return new ProblemError('invalid_request', `Invalid ${where}: ${named}`, { errors })
}

export function toProblem (err: FastifyError | Error): ProblemError {
  if (err instanceof ProblemError) return err
  if (err instanceof StoreUnavailableError) {
    return new ProblemError('service_unavailable', 'The service cannot reach its store; try again shortly', { headers: { 'retry-after': '5' } })
  }
  const e = err as FastifyError
  if (Array.isArray(e.validation)) return validationProblem(e)
  const known = e.code ? FASTIFY_CODES[e.code] : undefined
  if (known) return known()
  if (e.code === 'FST_ERR_BAD_URL' || e.code === 'FST_ERR_ASYNC_CONSTRAINT') return new ProblemError('invalid_request', 'The URL is malformed')
  if (e.statusCode === 404) return new ProblemError('not_found', 'No such resource')
  if (e.statusCode === 413) return new ProblemError('payload_too_large', 'The request is larger than this service accepts')
  if (e.statusCode === 415) return new ProblemError('unsupported_media_type', 'Unsupported media type')
  if (e.statusCode !== undefined && e.statusCode >= 400 && e.statusCode < 500) return new ProblemError('invalid_request', 'The request is not valid')
  return new ProblemError('internal_error', 'Something went wrong on our side; it has been logged')
}

export function sendProblem (problem: ProblemError, request: FastifyRequest, reply: FastifyReply, html = request.routeOptions.config?.html): FastifyReply {
  for (const [name, value] of Object.entries(problem.extra.headers ?? {})) reply.header(name, value)
  reply.code(problem.statusCode)
  // set here as well as in the onSend hook: errors raised before routing skip the hooks
  reply.header('x-content-type-options', 'nosniff')
  if (html) {
    reply.header('cache-control', 'no-store').header('referrer-policy', 'no-referrer')
      .header('content-security-policy', CONTENT_SECURITY_POLICY).header('x-frame-options', 'DENY')
    const title = problem.statusCode >= 500 ? 'Something went wrong' : problem.statusCode === 429 ? 'Too many attempts' : 'This link cannot be used'
    return reply.type('text/html; charset=utf-8').send(htmlPage(title, [problem.detail], problem.code, request.server.pageNotice))
  }
  return reply.type('application/problem+json').send(problem.toBody())
}

export function errorHandler (err: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const problem = toProblem(err)
  if (problem.statusCode >= 500) {
    // name, message and code only (the logger's err serializer): a stack or cause could carry a URL with a token
    request.log.error({ err }, 'request failed')
  }
  return sendProblem(problem, request, reply)
}
