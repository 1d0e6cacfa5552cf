import { createHash } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { unauthorized } from '../errors.js';
import { bearerOf } from './admin-auth.js';

/**
 * Who acted, as recorded in `admin_actions` and in machine histories: `admin:` + the first 12 hex
 * digits of the token's SHA-256. It tells credentials apart (a rotated ADMIN_TOKEN gets a new one)
 * without storing anything that would let someone sign in.
 */
export function adminFingerprint(token: string): string {
  return `admin:${createHash('sha256').update(token).digest('hex').slice(0, 12)}`;
}

/** The fingerprint of the bearer token of a request that already passed `adminAuth`. */
export function adminActorOf(request: FastifyRequest): string {
  const token = bearerOf(request.headers.authorization);
  if (!token) throw unauthorized('admin token required');
  return adminFingerprint(token);
}
