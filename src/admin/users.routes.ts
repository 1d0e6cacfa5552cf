import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { Id, StringEnum } from '../http/schemas.js';
import type { MachineOutcome, ModerationService } from '../moderation/moderation.service.js';
import type { User } from '../users/users.service.js';
import { adminActorOf } from './admin-fingerprint.js';
import { AdminReason, ErrorResponse, ModeratedUserSchema, UserLookupSchema } from './admin-schemas.js';
import type { UserLookup } from './user-lookup.js';

const Message = Type.String({ minLength: 1, maxLength: 500 });
const Reason = Type.Optional(AdminReason);

const moderated = (
  user: User,
  outcomes: { call?: MachineOutcome | null; room?: MachineOutcome | null } = {},
) => ({
  userId: user.id,
  banState: user.banState,
  banMessage: user.banMessage,
  warnMessage: user.warnMessage,
  ...outcomes,
});

/** Looking a user up, and warning, banning, unbanning him. */
export const adminUserRoutes: FastifyPluginAsyncTypebox<{
  moderation: ModerationService;
  lookUpUser: UserLookup;
}> = async (app, { moderation, lookUpUser }) => {
  const common = { tags: ['admin: users'], security: [{ adminBearer: [] }] };
  const params = Type.Object({ id: Id });

  // A bare POST (no body: unban from a script) is validated as `{}`.
  app.addHook('preValidation', async (request) => {
    if (request.method === 'POST') request.body ??= {};
  });

  app.get(
    '/users/:id',
    {
      schema: {
        ...common,
        description:
          'Profile, balance per currency, ban state, current call and room, recent calls, admin actions.',
        params,
        response: { 200: UserLookupSchema, 404: ErrorResponse },
      },
    },
    async (request) => lookUpUser(request.params.id),
  );

  app.post(
    '/users/:id/warn',
    {
      schema: {
        ...common,
        description:
          "Stores the warning (the anchor app's getWarnMessage) and pushes `user:warn` to the user's sockets.",
        params,
        body: Type.Object({ message: Message }, { additionalProperties: false }),
        response: { 200: ModeratedUserSchema, 404: ErrorResponse },
      },
    },
    async (request) =>
      moderated(await moderation.warn(request.params.id, request.body.message, adminActorOf(request))),
  );

  app.post(
    '/users/:id/ban',
    {
      schema: {
        ...common,
        description:
          'Bans the user (account: 封号, stream: 禁播) and sends BAN to the call and room he is in: a call ends ' +
          'and settles with title and streamStatus. `call`/`room` say what each machine did.',
        params,
        body: Type.Object(
          { type: StringEnum(['account', 'stream'] as const), message: Message, reason: Reason },
          { additionalProperties: false },
        ),
        response: { 200: ModeratedUserSchema, 404: ErrorResponse },
      },
    },
    async (request) => {
      const { type, message, reason } = request.body;
      const result = await moderation.ban(request.params.id, type, message, adminActorOf(request), reason);
      return moderated(result.user, { call: result.call, room: result.room });
    },
  );

  app.post(
    '/users/:id/unban',
    {
      schema: {
        ...common,
        params,
        body: Type.Object({ reason: Reason }, { additionalProperties: false }),
        response: { 200: ModeratedUserSchema, 404: ErrorResponse },
      },
    },
    async (request) =>
      moderated(await moderation.unban(request.params.id, adminActorOf(request), request.body.reason)),
  );
};
