import { randomUUID } from 'node:crypto';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { InsufficientFundsError } from '../../billing/ledger.js';
import { badRequest } from '../../errors.js';
import type { QliveRoomServices } from '../../rooms/index.js';
import type { familyRateLimit } from '../rate-limits.js';
import { currentUser } from '../request-user.js';
import { Id } from '../schemas.js';

/**
 * push_gift: GET as documented (it moves money, so a retry should carry an Idempotency-Key). Answers
 * as QLive's original server does (spec/README.md): `code` beside the document's `status`, and a gift
 * the sender cannot pay as a 200 with `failed`; every other refusal keeps its 4xx `{detail}`.
 */
export const qliveGiftPushRoutes: FastifyPluginAsyncTypebox<{
  qlive: Pick<QliveRoomServices, 'roomGifts'>;
  /** The gifts family's limit (shared with the paid-call sendGift). */
  rateLimit: ReturnType<typeof familyRateLimit>;
}> = async (app, { qlive, rateLimit }) => {
  app.get(
    '/qlive_gift/push_gift/',
    {
      schema: {
        tags: ['qlive: gifts'],
        security: [{ qliveToken: [] }],
        querystring: Type.Object({
          user_id: Id,
          gift_id: Id,
          num: Type.Optional(Type.Integer({ minimum: 1, maximum: 9999, default: 1 })),
        }),
        headers: Type.Object({
          'idempotency-key': Type.Optional(
            Type.String({ description: 'same key, same gift: the retry is not charged again' }),
          ),
        }),
        response: {
          200: Type.Object(
            {
              status: Type.String({
                description: 'success, or failed when the sender’s gold does not cover it',
              }),
              code: Type.String({ description: 'the same as status (QLive’s original server answers code)' }),
              detail: Type.String({ description: '赠送成功, or 账户余额不足' }),
              gold: Type.Optional(Type.Integer({ description: 'the sender’s gold left (on success)' })),
              income: Type.Optional(Type.Integer({ description: 'the receiver’s income now (on success)' })),
            },
            {
              description:
                'HTTP 200 either way, as QLive’s original server answers: a gift the sender cannot pay is ' +
                '{status: "failed", code: "failed", detail: "账户余额不足"} and moves nothing',
            },
          ),
        },
      },
      // idempotent: a retry with the same Idempotency-Key replays the first answer (src/http/idempotency.ts);
      // the ledger key below would refuse to charge it twice anyway.
      config: { idempotent: true, rateLimit },
    },
    async (request) => {
      const sender = currentUser(request);
      const key = request.headers['idempotency-key'];
      if (key !== undefined && !/^[\x21-\x7e]{1,128}$/.test(key))
        throw badRequest('Idempotency-Key must be 1–128 printable characters', 'Idempotency-Key');
      try {
        const { gold, income } = await qlive.roomGifts.send(sender, {
          toUserId: request.query.user_id,
          giftId: request.query.gift_id,
          num: request.query.num ?? 1,
          idempotencyKey: key ?? randomUUID(),
        });
        return { status: 'success', code: 'success', gold, income, detail: '赠送成功' };
      } catch (error) {
        if (error instanceof InsufficientFundsError && error.userId === sender.id)
          return { status: 'failed', code: 'failed', detail: '账户余额不足' };
        throw error;
      }
    },
  );
};
