import type { FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { unauthorized } from '../../errors.js';
import { describeError } from '../describe-error.js';
import type { Authenticate } from '../request-user.js';

/**
 * `Authorization: QLiveToken <token>` as documented, or `Token <token>`: QLive's original server
 * does not check the first word, and clients written against it send DRF's `Token`.
 */
const AUTHORIZATION = /^(?:QLiveToken|Token)\s+(\S+)$/i;

/** The token of a QLive request's `Authorization` header, if it carries one. */
export const qliveTokenOf = (request: FastifyRequest): string | undefined =>
  request.headers.authorization?.match(AUTHORIZATION)?.[1];

/**
 * QLive's wire style (Django REST Framework): objects as they are, `{detail}` for acknowledgements
 * and failures, auth by `Authorization: QLiveToken <token>` (or `Token <token>`).
 */
export const qliveEnvelope = fp<{ authenticate: Authenticate }>(
  async (scope, { authenticate }) => {
    scope.addHook('preValidation', async (request) => {
      if (request.routeOptions.config.auth === false) return;
      const token = qliveTokenOf(request);
      const user = token ? await authenticate(token) : null;
      if (!user)
        throw unauthorized(token ? 'Invalid token.' : 'Authentication credentials were not provided.');
      request.user = user;
    });

    scope.setErrorHandler((error, request, reply) => {
      const described = describeError(error);
      if (described.status >= 500) request.log.error({ err: error }, 'request failed');
      if (described.status === 503) reply.header('retry-after', '1');
      if (described.status === 401) reply.header('www-authenticate', 'QLiveToken');
      return reply.status(described.status).send({
        detail: described.message,
        ...(described.field ? { field: described.field } : {}),
      });
    });
  },
  { name: 'qlive-envelope' },
);

export const detailOk = { detail: 'OK' } as const;
