import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { ConfigsService } from '../../platform/configs.service.js';
import type { QliveRoomServices } from '../../rooms/index.js';
import type { QliveIm } from '../../rooms/qlive-im.js';
import type { LiveStreams } from '../../tencent/live-streams.js';
import { currentUser } from '../request-user.js';
import { Id } from '../schemas.js';
import { PageOf, PageQuery, pageItems, pageOf } from './pagination.js';
import { QliveUserInfo, qliveUserInfo } from './user-info.js';
import { optionalInt } from './wire-format.js';

/** A number as a number, a numeric string, or "" (not given): see optionalInt. */
const IntLike = Type.Union([Type.Integer(), Type.String({ maxLength: 16 })]);

/** The withdraw rate (提现汇率) when no operator set `qlive.WITHDRAW_RATE`: yuan paid out per income unit. */
export const DEFAULT_WITHDRAW_RATE = '0.05';

const UserState = Type.Object({
  live_room_name: Type.String(),
  live_id: Type.Union([Type.Integer(), Type.Null()], { description: 'null when not in a room' }),
  group_id: Type.String(),
  user_type: Type.Integer({
    description: '0 no room, 1 audience, 2 applied for a mic, 3 man on mic, 4 woman on mic, 5 matchmaker',
  }),
});

/** update_userinfo, get_userinfo, get_user_state, get_users_info. */
export const qliveUserRoutes: FastifyPluginAsyncTypebox<{
  qlive: Pick<QliveRoomServices, 'rooms' | 'profiles'>;
  qliveIm: Pick<QliveIm, 'profileUpdated'>;
  live: LiveStreams;
  configs: Pick<ConfigsService, 'get'>;
}> = async (app, { qlive, qliveIm, live, configs }) => {
  const tags = ['qlive: users'];
  const security = [{ qliveToken: [] }];

  app.post(
    '/qlive_user/update_userinfo/',
    {
      schema: {
        tags,
        security,
        body: Type.Object({
          nickname: Type.Optional(Type.String({ maxLength: 64 })),
          gender: Type.Optional(IntLike),
          age: Type.Optional(IntLike),
          area: Type.Optional(Type.String({ maxLength: 64 })),
          face_url: Type.Optional(Type.String({ maxLength: 1024 })),
          height: Type.Optional(IntLike),
        }),
        response: { 200: QliveUserInfo },
      },
    },
    async (request) => {
      const user = currentUser(request);
      const { body } = request;
      const updated = await qlive.profiles.update(user.id, {
        nickname: body.nickname,
        gender: optionalInt(body.gender, 'gender', { min: 0, max: 2 }) as 0 | 1 | 2 | undefined,
        age: optionalInt(body.age, 'age', { min: 0, max: 150 }),
        area: body.area,
        headImg: body.face_url,
        height: optionalInt(body.height, 'height', { min: 0, max: 300 }),
      });
      await qliveIm.profileUpdated(user, updated);
      return qliveUserInfo(updated, live, { wallet: await qlive.profiles.wallet(user.id) });
    },
  );

  app.get(
    '/qlive_user/get_userinfo/',
    {
      schema: {
        tags,
        security,
        querystring: Type.Object({ user_id: Type.Optional(Id) }),
        response: { 200: Type.Object({ ...QliveUserInfo.properties, rate: Type.String() }) },
      },
    },
    async (request) => {
      const caller = currentUser(request);
      const userId = request.query.user_id ?? caller.id;
      const user = await qlive.profiles.get(userId);
      const self = userId === caller.id ? { wallet: await qlive.profiles.wallet(userId) } : null;
      const rate = await configs.get<unknown>('qlive.WITHDRAW_RATE', DEFAULT_WITHDRAW_RATE);
      return { ...qliveUserInfo(user, live, self), rate: String(rate) };
    },
  );

  app.get(
    '/qlive_user/get_user_state/',
    { schema: { tags, security, response: { 200: UserState } } },
    async (request) => {
      const state = await qlive.rooms.stateOf(currentUser(request).id);
      if (!state) return { live_room_name: '', live_id: null, group_id: '', user_type: 0 };
      return {
        live_room_name: state.roomName,
        live_id: state.liveId,
        group_id: state.groupId,
        user_type: state.userType,
      };
    },
  );

  app.get(
    '/qlive_user/get_users_info/',
    {
      schema: {
        tags,
        security,
        querystring: Type.Object({
          ...PageQuery.properties,
          live_id: Id,
          gender: Type.Union([Type.Literal(1), Type.Literal(2)], { description: '1 men, 2 women' }),
        }),
        response: {
          200: PageOf(
            Type.Object({
              user_id: Type.String(),
              face_url: Type.String(),
              state: Type.Integer({ description: '1 applied for the mic, 0 audience' }),
              nickname: Type.String(),
              age: Type.Integer(),
              area: Type.String(),
            }),
            'the room’s people of that gender: applicants (in order of application), then the audience',
          ),
        },
      },
    },
    async (request) => {
      const { live_id: liveId, gender } = request.query;
      const slice = pageItems(pageOf(request.query), await qlive.rooms.membersByGender(liveId, gender));
      const people = await qlive.profiles.byIds(slice.map((entry) => entry.userId));
      return slice.map(({ userId, state }) => {
        const person = people.get(userId);
        return {
          user_id: String(userId),
          face_url: person?.headImg ?? '',
          state,
          nickname: person?.nickname ?? '',
          age: person?.age ?? 0,
          area: person?.area ?? '',
        };
      });
    },
  );
};
