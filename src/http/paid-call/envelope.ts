import fp from 'fastify-plugin';
import { type TObject, type TProperties, Type } from 'typebox';
import { unauthorized } from '../../errors.js';
import type { User } from '../../users/users.service.js';
import { describeError } from '../describe-error.js';
import type { Authenticate } from '../request-user.js';

/**
 * The paid-call apps' wire style: every answer is `{code, message, ...fields}` with code 0 on success
 * and the HTTP status as code on failure; the token arrives in the body (or query, or a Bearer header).
 */
export interface EnvelopeOptions {
  authenticate: Authenticate;
  /** Runs (without delaying the answer) after a request authenticated: REST activity keeps polling clients online. */
  onAuthenticated?: (user: User) => Promise<unknown>;
}

export const paidCallEnvelope = fp<EnvelopeOptions>(
  async (scope, { authenticate, onAuthenticated }) => {
    scope.addHook('preValidation', async (request) => {
      if (request.routeOptions.config.auth === false) return;
      const token = tokenOf(request.body, request.query, request.headers.authorization);
      const user = token ? await authenticate(token) : null;
      if (!user) throw unauthorized(token ? 'unknown or expired token' : 'token is required');
      request.user = user;
      onAuthenticated?.(user).catch((error) => request.log.warn({ err: error }, 'presence update failed'));
    });

    scope.setErrorHandler((error, request, reply) => {
      const described = describeError(error);
      if (described.status >= 500) request.log.error({ err: error }, 'request failed');
      if (described.status === 503) reply.header('retry-after', '1');
      return reply.status(described.status).send({
        code: described.status,
        message: described.message,
        ...(described.field ? { field: described.field } : {}),
        requestId: request.id,
      });
    });
  },
  { name: 'paid-call-envelope' },
);

function tokenOf(body: unknown, query: unknown, authorization: string | undefined): string | undefined {
  for (const source of [body, query]) {
    const token = (source as { token?: unknown } | null | undefined)?.token;
    if (typeof token === 'string' && token !== '') return token;
  }
  const bearer = authorization?.match(/^Bearer\s+(\S+)$/i)?.[1];
  return bearer ?? undefined;
}

export const Envelope = { code: Type.Integer(), message: Type.String() };

/** Response schema of a paid-call route: the envelope plus the documented fields. */
export function paidCallResponse<T extends TProperties>(fields: T): TObject<typeof Envelope & T> {
  return Type.Object({ ...Envelope, ...fields });
}

/** Request body of a paid-call route: the documented fields plus the optional token. */
export function paidCallBody<T extends TProperties>(fields: T) {
  return Type.Object({ token: Type.Optional(Type.String()), ...fields });
}

export function ok<T extends object>(fields: T): { code: 0; message: string } & T {
  return { code: 0, message: 'success', ...fields };
}
