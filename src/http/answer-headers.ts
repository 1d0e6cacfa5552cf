import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * The headers every answer of this server carries: the request id the server made, nosniff, and
 * no-store (answers are per user and change with every write; the panel's files set their own).
 */
export function setAnswerHeaders(request: FastifyRequest, reply: FastifyReply): void {
  reply.header('x-request-id', request.id);
  reply.header('x-content-type-options', 'nosniff');
  if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
}
