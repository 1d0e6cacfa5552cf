import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { setAnswerHeaders } from './answer-headers.js';

export const QLIVE_PREFIX = '/wx/api/qlive';

/**
 * A failure answered before any route took the request (no route, a malformed or oversized URL),
 * in the envelope of the API whose path it is: QLive `{detail}`, admin `{error, message}`, the
 * paid-call apps and RoomService `{code, message}`.
 */
export function unroutedAnswer(path: string, status: number, error: string, message: string) {
  if (path.startsWith(QLIVE_PREFIX)) return { detail: message };
  if (path.startsWith('/admin/api')) return { error, message };
  return { code: status, message };
}

const pathOf = (request: FastifyRequest) => (request.raw.url ?? '').split('?')[0] ?? '';

export function notFoundAnswer(request: FastifyRequest, reply: FastifyReply) {
  const path = pathOf(request);
  const message = path.startsWith(QLIVE_PREFIX) ? 'Not found.' : `no route ${request.method} ${path}`;
  return reply.status(404).send(unroutedAnswer(path, 404, 'not_found', message));
}

/**
 * Fastify's `frameworkErrors`: a URL that does not decode (400) or a path parameter longer than the
 * router takes (414), answered through the reply (so with this server's headers) in the API's envelope;
 * unlike Fastify's own answer, it does not echo the (possibly 10 kB) path back.
 */
export function frameworkErrorAnswer(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  const path = pathOf(request);
  const [status, message] =
    error.code === 'FST_ERR_MAX_PARAM_LENGTH'
      ? [414, 'a path parameter is too long']
      : error.code === 'FST_ERR_BAD_URL'
        ? [400, 'the URL is not valid (a path parameter does not decode)']
        : [400, 'the request could not be routed'];
  // No route, so no hooks run for this reply: it gets the server's headers here.
  setAnswerHeaders(request, reply);
  return reply.status(status).send(unroutedAnswer(path, status, 'bad_request', message));
}
