import { createHash } from 'node:crypto';
import fp from 'fastify-plugin';
import { badRequest, conflict } from '../errors.js';
import type { RedisClient } from '../redis/connection.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Money-moving POST: an `Idempotency-Key` header makes a retry replay the first answer. */
    idempotent?: boolean;
  }
  interface FastifyRequest {
    idempotencyKey?: { storeKey: string; fingerprint: string };
  }
}

interface StoredAnswer {
  state: 'pending' | 'done';
  fingerprint: string;
  status?: number;
  body?: string;
  contentType?: string;
}

const KEY_PATTERN = /^[\x21-\x7e]{1,128}$/;

/**
 * Client idempotency for money-moving routes (config `idempotent: true`): the first request with an
 * `Idempotency-Key` claims the key (per caller and route) and its answer is kept for a day; a retry
 * with the same key and parameters gets that answer again (header `idempotent-replayed: true`), the
 * same key with other parameters is a 409, and so is a retry while the first is still running.
 * A 5xx is not kept, so the client may retry it.
 */
export const idempotency = fp<{ redis: RedisClient; prefix: string; ttlSeconds?: number }>(
  async (app, { redis, prefix, ttlSeconds = 24 * 60 * 60 }) => {
    app.addHook('preHandler', async (request, reply) => {
      if (!request.routeOptions.config.idempotent) return;
      const header = request.headers['idempotency-key'];
      if (header === undefined) return;
      if (typeof header !== 'string' || !KEY_PATTERN.test(header)) {
        throw badRequest('Idempotency-Key must be 1 to 128 visible ASCII characters', 'Idempotency-Key');
      }
      const caller = request.user?.id ?? 'anonymous';
      const storeKey = `${prefix}idem:${caller}:${request.routeOptions.url}:${header}`;
      const fingerprint = createHash('sha256')
        .update(JSON.stringify({ body: request.body ?? null, query: request.query ?? null }))
        .digest('hex');
      const pending: StoredAnswer = { state: 'pending', fingerprint };
      if (await redis.set(storeKey, JSON.stringify(pending), 'EX', ttlSeconds, 'NX')) {
        request.idempotencyKey = { storeKey, fingerprint };
        return;
      }
      const stored = JSON.parse((await redis.get(storeKey)) ?? 'null') as StoredAnswer | null;
      if (!stored) throw conflict('a request with this Idempotency-Key just finished; retry');
      if (stored.fingerprint !== fingerprint)
        throw conflict('Idempotency-Key was already used with other parameters');
      if (stored.state === 'pending')
        throw conflict('a request with this Idempotency-Key is still in progress');
      reply.header('idempotent-replayed', 'true');
      reply.header('content-type', stored.contentType ?? 'application/json; charset=utf-8');
      return reply.status(stored.status ?? 200).send(stored.body ?? '');
    });

    app.addHook('onSend', async (request, reply, payload) => {
      const claim = request.idempotencyKey;
      if (!claim) return payload;
      request.idempotencyKey = undefined;
      if (reply.statusCode >= 500) {
        await redis.del(claim.storeKey);
        return payload;
      }
      const answer: StoredAnswer = {
        state: 'done',
        fingerprint: claim.fingerprint,
        status: reply.statusCode,
        body: typeof payload === 'string' ? payload : String(payload ?? ''),
        contentType: String(reply.getHeader('content-type') ?? 'application/json; charset=utf-8'),
      };
      await redis.set(claim.storeKey, JSON.stringify(answer), 'EX', ttlSeconds);
      return payload;
    });
  },
  { name: 'idempotency' },
);
