import type { FastifyRequest } from 'fastify';
import { forbidden, unauthorized } from '../errors.js';
import type { User, UserRole } from '../users/users.service.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the envelope's auth hook on routes that require a token. */
    user: User | null;
  }
  interface FastifyContextConfig {
    /** false: the route answers without a token (login, user creation). */
    auth?: boolean;
  }
}

export type Authenticate = (token: string) => Promise<User | null>;

export function currentUser(request: FastifyRequest): User {
  if (!request.user) throw unauthorized();
  return request.user;
}

/** The caller, who must have one of the roles (403 otherwise) and must not be banned from the app. */
export function userWithRole(request: FastifyRequest, ...roles: UserRole[]): User {
  const user = currentUser(request);
  if (!roles.includes(user.role)) throw forbidden(`only a ${roles.join(' or ')} may do this`);
  return user;
}
