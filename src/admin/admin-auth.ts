import { createHash, timingSafeEqual } from 'node:crypto';
import fp from 'fastify-plugin';
import { unauthorized } from '../errors.js';
import { describeError } from '../http/describe-error.js';

const digest = (value: string) => createHash('sha256').update(value).digest();

/** Constant-time comparison of the presented bearer token with ADMIN_TOKEN. */
export function isAdminToken(presented: string | undefined, adminToken: string): boolean {
  if (!presented) return false;
  return timingSafeEqual(digest(presented), digest(adminToken));
}

export function bearerOf(authorization: string | undefined): string | undefined {
  return authorization?.match(/^Bearer\s+(\S+)$/i)?.[1];
}

/** Every /admin/api route requires `Authorization: Bearer <ADMIN_TOKEN>`; errors are `{error, message}`. */
export const adminAuth = fp<{ adminToken: string }>(
  async (scope, { adminToken }) => {
    scope.addHook('onRequest', async (request) => {
      if (!isAdminToken(bearerOf(request.headers.authorization), adminToken)) {
        throw unauthorized('admin token required');
      }
    });
    scope.setErrorHandler((error, request, reply) => {
      const described = describeError(error);
      if (described.status >= 500) request.log.error({ err: error }, 'admin request failed');
      return reply.status(described.status).send({
        error: described.kind,
        message: described.message,
        ...(described.field ? { field: described.field } : {}),
      });
    });
  },
  { name: 'admin-auth' },
);
