import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { AdminGrants } from '../billing/admin-grants.js';
import { CURRENCIES } from '../billing/balances.js';
import { badRequest, notFound } from '../errors.js';
import { Id, StringEnum } from '../http/schemas.js';
import type { UsersService } from '../users/users.service.js';
import { adminAuth } from './admin-auth.js';

export interface GrantRoutesDeps {
  adminToken: string;
  grants: AdminGrants;
  users: Pick<UsersService, 'find'>;
}

const Key = Type.String({ minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9_.:-]+$' });

const GrantBody = Type.Object(
  {
    currency: StringEnum(CURRENCIES),
    amount: Type.Integer({ minimum: 1, maximum: 1_000_000_000 }),
    reason: Type.Optional(Type.String({ maxLength: 256 })),
    key: Type.Optional(Key),
  },
  { additionalProperties: false },
);

const GrantAnswer = Type.Object({
  transactionId: Type.Integer(),
  userId: Type.Integer(),
  currency: Type.String(),
  amount: Type.Integer(),
  balance: Type.Integer({ description: "the user's balance in that currency now" }),
  replayed: Type.Boolean({ description: 'true: this key was already granted; nothing was credited again' }),
});

/**
 * `POST /admin/api/users/:id/grants`: an operator credits a user through the ledger. It must carry
 * an idempotency key (`Idempotency-Key` header or `key`), so a retried click never pays twice:
 * 201 when credited, 200 with `replayed: true` for a repeat, 409 for a key reused differently.
 */
export const adminGrantRoutes: FastifyPluginAsyncTypebox<GrantRoutesDeps> = async (app, deps) => {
  await app.register(adminAuth, { adminToken: deps.adminToken });

  app.post(
    '/users/:id/grants',
    {
      schema: {
        tags: ['admin'],
        security: [{ adminBearer: [] }],
        params: Type.Object({ id: Id }),
        headers: Type.Object({ 'idempotency-key': Type.Optional(Key) }),
        body: GrantBody,
        response: { 200: GrantAnswer, 201: GrantAnswer },
      },
    },
    async (request, reply) => {
      const header = request.headers['idempotency-key'];
      const { currency, amount, reason, key = header } = request.body;
      if (key === undefined) throw badRequest('an Idempotency-Key header (or a key) is required', 'key');
      if (header !== undefined && header !== key) {
        throw badRequest('key and the Idempotency-Key header differ', 'key');
      }
      const userId = request.params.id;
      if (!(await deps.users.find(userId))) throw notFound(`no user ${userId}`, 'id');
      const result = await deps.grants.grant({ userId, currency, amount, key, reason });
      return reply.status(result.applied ? 201 : 200).send({
        transactionId: result.transactionId,
        userId,
        currency,
        amount,
        balance: result.balance,
        replayed: !result.applied,
      });
    },
  );
};
