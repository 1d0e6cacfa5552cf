import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { numList, roomView, userTypeIn } from '../../../machines/room.js';
import { AppError, badRequest } from '../../errors.js';
import type { QliveRoomServices } from '../../rooms/index.js';
import type { QliveIm } from '../../rooms/qlive-im.js';
import type { LiveStreams } from '../../tencent/live-streams.js';
import { currentUser } from '../request-user.js';
import { Id } from '../schemas.js';
import { detailOk } from './envelope.js';
import { PageOf, PageQuery, pageOf } from './pagination.js';
import { Player, playerOf, pushUrlOf } from './room-people.js';

const LiveQuery = Type.Object({ live_id: Id });
const LiveBody = Type.Object({ live_id: Id });
const Detail = Type.Object({ detail: Type.String() });

const LiveListItem = Type.Object({
  id: Type.Integer({ description: 'live_id' }),
  group_id: Type.String({ description: 'Tencent IM group (AVChatRoom) of the room, e.g. @TGS#a7HEPC7FD' }),
  room_name: Type.String(),
  room_image: Type.String(),
  player: Type.Object({
    boy: Type.String({ description: 'face of the man on the mic, "" when free' }),
    girl: Type.String({ description: 'face of the woman on the mic, "" when free' }),
  }),
  audience_count: Type.Integer({ description: 'everyone in the room, the matchmaker included' }),
});

const PlayUrlResponse = Type.Object({
  anchor_info: Type.Object(
    { nickname: Type.String(), face_url: Type.String() },
    { description: 'the host (the matchmaker), for the room header' },
  ),
  owner: Player,
  male: Player,
  female: Player,
  user_type: Type.Integer({
    description: 'the caller’s: 1 audience, 2 applied, 3/4 on the mic, 5 matchmaker',
  }),
  push_url: Type.String({
    description: 'the caller’s own push URL when on a mic or the matchmaker, else ""',
  }),
  num_list: Type.Array(Type.Integer(), {
    description:
      '[men applying, men present, women applying, women present] (present: audience, applicants and the seat holder)',
  }),
  live_id: Type.Integer(),
  group_id: Type.String(),
  room_name: Type.String(),
});

const MatchmakerEnterResponse = Type.Object({
  status: Type.String({ description: 'ok, or failed when the matchmaker is banned' }),
  user_id: Type.String(),
  live_id: Type.String(),
  nickname: Type.String(),
  face_url: Type.String(),
  push_url: Type.String(),
  play_url: Type.String(),
  group_id: Type.String(),
  room_name: Type.String(),
  detail: Type.Optional(Type.String()),
});

/** Rooms as a whole: the list, entering, opening, leaving and ending. */
export const qliveRoomRoutes: FastifyPluginAsyncTypebox<{
  qlive: Pick<QliveRoomServices, 'rooms' | 'roomsRepository' | 'profiles'>;
  qliveIm: Pick<QliveIm, 'groupFor'>;
  live: LiveStreams;
}> = async (app, { qlive, qliveIm, live }) => {
  const tags = ['qlive: rooms'];
  const security = [{ qliveToken: [] }];

  app.get(
    '/get_livelist/',
    {
      schema: {
        tags,
        security,
        querystring: PageQuery,
        response: { 200: PageOf(LiveListItem, 'the live rooms, newest first') },
      },
    },
    async (request) => {
      const page = pageOf(request.query);
      const rooms = await qlive.roomsRepository.pageLive(page.offset, page.size);
      const snapshots = await Promise.all(rooms.map((room) => qlive.rooms.snapshotOf(room.id)));
      const views = snapshots.map((snapshot) => (snapshot ? roomView(snapshot) : null));
      const seated = views.flatMap((view) => (view ? [view.seats.male, view.seats.female] : []));
      const people = await qlive.profiles.byIds(seated.filter((id): id is number => id !== null));
      const face = (userId: number | null | undefined) => (userId ? (people.get(userId)?.headImg ?? '') : '');
      return rooms.map((room, index) => {
        const view = views[index];
        return {
          id: room.id,
          group_id: room.groupId,
          room_name: room.roomName,
          room_image: room.roomImage,
          player: { boy: face(view?.seats.male), girl: face(view?.seats.female) },
          audience_count: view?.audienceCount ?? 0,
        };
      });
    },
  );

  app.get(
    '/get_playurl/',
    { schema: { tags, security, querystring: LiveQuery, response: { 200: PlayUrlResponse } } },
    async (request) => {
      const user = currentUser(request);
      const liveId = request.query.live_id;
      const snapshot = await qlive.rooms.enter(user, liveId);
      const { matchmakerId, seats, groupId, roomName } = snapshot.context;
      const people = await qlive.profiles.byIds(
        [matchmakerId, seats.male, seats.female].filter((id): id is number => id !== null),
      );
      const host = people.get(matchmakerId);
      const userType = userTypeIn(snapshot, user.id);
      const publishes = userType === 3 || userType === 4 || userType === 5;
      return {
        anchor_info: { nickname: host?.nickname ?? '', face_url: host?.headImg ?? '' },
        owner: playerOf(live, liveId, host),
        male: playerOf(live, liveId, seats.male === null ? undefined : people.get(seats.male)),
        female: playerOf(live, liveId, seats.female === null ? undefined : people.get(seats.female)),
        user_type: userType,
        push_url: publishes ? pushUrlOf(live, liveId, user.id) : '',
        num_list: numList(snapshot),
        live_id: liveId,
        group_id: groupId,
        room_name: roomName,
      };
    },
  );

  app.post(
    '/qlive_room/matchmaker_enter/',
    {
      schema: {
        tags,
        security,
        description:
          'Opens (or re-enters) her room. A matchmaker the ban policy keeps from hosting: 200 ' +
          '{status: "failed"}, asked before any Tencent IM call; a caller who is not a matchmaker: 400 ' +
          `{detail: "The user's identity is incorrect"}` +
          ' (both as QLive’s original server answers).',
        body: Type.Object({
          room_name: Type.Optional(
            Type.String({ maxLength: 64, description: 'default: "<nickname>的直播间"' }),
          ),
          room_image: Type.Optional(Type.String({ maxLength: 1024, description: 'default: her face' })),
        }),
        response: { 200: MatchmakerEnterResponse },
      },
    },
    async (request) => {
      const matchmaker = currentUser(request);
      // QLive's original server answers a caller who is not a matchmaker so (spec/README.md).
      if (matchmaker.role !== 'matchmaker') throw badRequest("The user's identity is incorrect");
      const profile = {
        user_id: String(matchmaker.id),
        nickname: matchmaker.nickname,
        face_url: matchmaker.headImg,
      };
      const opened = await qlive.rooms
        .open(matchmaker, {
          roomName: request.body.room_name,
          roomImage: request.body.room_image,
          groupFor: () => qliveIm.groupFor(matchmaker),
        })
        .catch((error: unknown) => {
          // The document's answer for a matchmaker the ban policy keeps from hosting.
          if (error instanceof AppError && error.kind === 'forbidden') return error;
          throw error;
        });
      if (opened instanceof AppError) {
        const none = { live_id: '', push_url: '', play_url: '', group_id: '', room_name: '' };
        return { status: 'failed', ...profile, ...none, detail: opened.message };
      }
      const { liveId, snapshot } = opened;
      return {
        status: 'ok',
        ...profile,
        live_id: String(liveId),
        push_url: pushUrlOf(live, liveId, matchmaker.id),
        play_url: live.playUrl('room', String(liveId), matchmaker.id),
        group_id: snapshot.context.groupId,
        room_name: snapshot.context.roomName,
      };
    },
  );

  app.get(
    '/qlive_room/leave_room/',
    { schema: { tags, security, querystring: LiveQuery, response: { 200: Detail } } },
    async (request) => {
      await qlive.rooms.leave(currentUser(request), request.query.live_id);
      return detailOk;
    },
  );

  app.post(
    '/qlive_room/live_end/',
    { schema: { tags, security, body: LiveBody, response: { 200: Detail } } },
    async (request) => {
      await qlive.rooms.end(currentUser(request), request.body.live_id);
      return detailOk;
    },
  );
};
