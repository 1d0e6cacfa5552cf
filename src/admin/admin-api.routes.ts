import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { GiftsService } from '../gifts/gifts.service.js';
import { StringEnum } from '../http/schemas.js';
import { USER_ROLES, type User, type UsersService } from '../users/users.service.js';
import { adminAuth } from './admin-auth.js';

export interface AdminApiDeps {
  adminToken: string;
  users: UsersService;
  gifts: GiftsService;
  /** A new matchmaker gets her Tencent IM group (queued; never delays the answer). */
  onMatchmakerCreated(user: User): Promise<void>;
}

const Balance = Type.Integer({ minimum: 0, maximum: 1_000_000_000 });

const CreateUserBody = Type.Object(
  {
    role: StringEnum(USER_ROLES),
    nickname: Type.Optional(Type.String({ maxLength: 64 })),
    age: Type.Optional(Type.Integer({ minimum: 0, maximum: 150 })),
    gender: Type.Optional(Type.Union([Type.Literal(0), Type.Literal(1), Type.Literal(2)])),
    headImg: Type.Optional(Type.String({ maxLength: 1024 })),
    diamond: Type.Optional(Balance),
    point: Type.Optional(Balance),
    gold: Type.Optional(Balance),
    unitPrice: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000 })),
  },
  { additionalProperties: false },
);

const CreateGiftBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 64 }),
    imgUrl: Type.String({ maxLength: 1024 }),
    cost: Type.Integer({ minimum: 1, maximum: 1_000_000_000 }),
    effect: Type.Optional(Type.String({ maxLength: 256 })),
  },
  { additionalProperties: false },
);

/** The operators' API: how people and tests create users and gifts. */
export const adminApiRoutes: FastifyPluginAsyncTypebox<AdminApiDeps> = async (app, deps) => {
  await app.register(adminAuth, { adminToken: deps.adminToken });

  app.post(
    '/users',
    {
      schema: {
        tags: ['admin'],
        security: [{ adminBearer: [] }],
        body: CreateUserBody,
        response: { 201: Type.Object({ userId: Type.Integer(), token: Type.String() }) },
      },
    },
    async (request, reply) => {
      const { diamond, point, gold, ...profile } = request.body;
      const { user, token } = await deps.users.create({
        ...profile,
        balances: { diamond: diamond ?? 0, point: point ?? 0, gold: gold ?? 0 },
      });
      if (user.role === 'matchmaker') await deps.onMatchmakerCreated(user);
      return reply.status(201).send({ userId: user.id, token });
    },
  );

  app.post(
    '/gifts',
    {
      schema: {
        tags: ['admin'],
        security: [{ adminBearer: [] }],
        body: CreateGiftBody,
        response: { 201: Type.Object({ giftId: Type.Integer() }) },
      },
    },
    async (request, reply) => {
      const gift = await deps.gifts.create(request.body);
      return reply.status(201).send({ giftId: gift.id });
    },
  );
};
