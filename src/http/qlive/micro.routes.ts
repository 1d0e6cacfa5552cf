import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { userTypeIn } from '../../../machines/room.js';
import type { QliveRoomServices } from '../../rooms/index.js';
import { SeatTakenError } from '../../rooms/rooms.service.js';
import type { LiveStreams } from '../../tencent/live-streams.js';
import { currentUser } from '../request-user.js';
import { Id } from '../schemas.js';
import { detailOk } from './envelope.js';
import { Player, playerOf, pushUrlOf } from './room-people.js';
import { optionalInt } from './wire-format.js';

const Detail = Type.Object({ detail: Type.String() });

/** The documented body (`live_id`), plus `user_id` with which the room's matchmaker acts on an applicant. */
const ApplicantBody = Type.Object({
  live_id: Id,
  user_id: Type.Optional(Id),
});

/** The mic: apply, take the seat (accept), decline (refuse), leave it. */
export const qliveMicroRoutes: FastifyPluginAsyncTypebox<{
  qlive: Pick<QliveRoomServices, 'rooms' | 'profiles'>;
  live: LiveStreams;
}> = async (app, { qlive, live }) => {
  const tags = ['qlive: mic seats'];
  const security = [{ qliveToken: [] }];

  app.post(
    '/qlive_room/apply_micro/',
    { schema: { tags, security, body: Type.Object({ live_id: Id }), response: { 200: Detail } } },
    async (request) => {
      await qlive.rooms.apply(currentUser(request), request.body.live_id);
      return detailOk;
    },
  );

  app.post(
    '/qlive_room/accept_micro/',
    {
      schema: {
        tags,
        security,
        body: ApplicantBody,
        description:
          'Takes the mic seat of the applicant’s gender. A seat someone else holds is HTTP 200 ' +
          '{code: "failed", error_msg: "抢麦失败"}, as QLive’s original server answers; other refusals are 4xx {detail}.',
        response: {
          200: Type.Union([
            Type.Object({
              code: Type.Literal('success'),
              ...Player.properties,
              gender: Type.Integer({ description: '1 man, 2 woman' }),
              push_url: Type.String({ description: 'his push URL; "" when the matchmaker accepted for him' }),
              seat: Type.String({ description: 'male or female' }),
              user_type: Type.Integer(),
            }),
            Type.Object({
              code: Type.Literal('failed'),
              error_msg: Type.String({ description: '抢麦失败: the seat is taken' }),
            }),
          ]),
        },
      },
    },
    async (request) => {
      const actor = currentUser(request);
      const liveId = request.body.live_id;
      const userId = request.body.user_id ?? actor.id;
      const accepted = await qlive.rooms.acceptSeat(actor, liveId, userId).catch((error: unknown) => {
        if (error instanceof SeatTakenError) return null;
        throw error;
      });
      if (!accepted) return { code: 'failed' as const, error_msg: '抢麦失败' };
      const seated = await qlive.profiles.get(userId);
      return {
        code: 'success' as const,
        ...playerOf(live, liveId, seated),
        gender: seated.gender,
        // A push URL is a publishing credential: only its owner gets it.
        push_url: userId === actor.id ? pushUrlOf(live, liveId, userId) : '',
        seat: accepted.seat,
        user_type: userTypeIn(accepted.snapshot, userId),
      };
    },
  );

  app.post(
    '/qlive_room/refuse_micro/',
    { schema: { tags, security, body: ApplicantBody, response: { 200: Detail } } },
    async (request) => {
      const actor = currentUser(request);
      await qlive.rooms.refuseSeat(actor, request.body.live_id, request.body.user_id ?? actor.id);
      return detailOk;
    },
  );

  app.get(
    '/qlive_room/leave_micro/',
    {
      schema: {
        tags,
        security,
        querystring: Type.Object({
          live_id: Id,
          user_id: Type.Optional(Id),
          gender: Type.Optional(
            Type.Union([Type.Integer(), Type.String({ maxLength: 4 })], {
              description: 'the seat: 1 male, 2 female',
            }),
          ),
        }),
        response: { 200: Detail },
      },
    },
    async (request) => {
      const actor = currentUser(request);
      const { live_id: liveId, user_id: userId } = request.query;
      const gender = optionalInt(request.query.gender, 'gender', { min: 1, max: 2 });
      await qlive.rooms.leaveSeat(actor, liveId, userId ?? actor.id, gender);
      return detailOk;
    },
  );
};
