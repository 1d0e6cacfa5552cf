/**
 * Tencent's RoomService protocol (spec tencent-roomservice.md) on `/weapp/live_room/`, and the same
 * commands on `/weapp/double_room/` and `/weapp/multi_room/` (rtcroom.js). The wire form is
 * Tencent's: POST, `userID` and `token` in the query (the body or a Bearer header work too), JSON or
 * form bodies, answers `{code, message, ...}` with the protocol's codes (§2) and a fitting HTTP status.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { type TProperties, Type } from 'typebox';
import { RoomServiceError, RoomServiceErrors } from '../../roomservice/errors.js';
import type { Credentials, RoomService, RoomServiceCaller } from '../../roomservice/roomservice.service.js';
import { describeError } from '../describe-error.js';
import { acceptEmptyJsonBodies } from '../lenient-body.js';
import { Id } from '../schemas.js';

export const ROOMSERVICE_PREFIXES = ['/weapp/live_room', '/weapp/double_room', '/weapp/multi_room'] as const;

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the RoomService auth hook. */
    roomServiceCaller: RoomServiceCaller | null;
  }
  interface FastifyContextConfig {
    /** RoomService: the route authenticates by itself (login: not at all; heartbeat: its fast path). */
    roomServiceAuth?: 'none' | 'self';
  }
}

const SUCCESS = '请求成功';
const MAX_ROOM_INFO = 1024;

// Fits a runtime id, a stream name part and an IM GroupId (at most 48 bytes).
const RoomId = Type.String({ pattern: '^[A-Za-z0-9_-]{1,48}$' });
const Text = (maxLength: number) => Type.String({ maxLength });

const Query = Type.Object({
  userID: Type.Optional(Type.String()),
  token: Type.Optional(Type.String()),
});
const LoginQuery = Type.Object({
  sdkAppID: Type.Optional(Type.String()),
  userID: Type.Optional(Type.String()),
  userSig: Type.Optional(Type.String()),
  accountType: Type.Optional(Type.String()),
});

const body = <T extends TProperties>(fields: T) =>
  Type.Object({ token: Type.Optional(Type.String()), userID: Type.Optional(Type.String()), ...fields });

const PusherView = Type.Object({
  userID: Type.String(),
  userName: Type.String(),
  userAvatar: Type.String(),
  accelerateURL: Type.String(),
});
const RoomView = {
  roomID: Type.String(),
  roomInfo: Type.String(),
  roomCreator: Type.String(),
  mixedPlayURL: Type.String(),
  pushers: Type.Array(PusherView),
};
const answer = <T extends TProperties>(fields: T) =>
  Type.Object({ code: Type.Integer(), message: Type.String(), ...fields });

const ok = <T extends object>(fields: T = {} as T) => ({ code: 0, message: SUCCESS, ...fields });

function credentialsOf(request: FastifyRequest): Credentials {
  const query = (request.query ?? {}) as { userID?: unknown; token?: unknown };
  const fields = (request.body ?? {}) as { userID?: unknown; token?: unknown };
  const text = (value: unknown) => (typeof value === 'string' && value !== '' ? value : undefined);
  const bearer = request.headers.authorization?.match(/^Bearer\s+(\S+)$/i)?.[1];
  return {
    userId: text(query.userID) ?? text(fields.userID),
    token: text(query.token) ?? text(fields.token) ?? bearer,
  };
}

function caller(request: FastifyRequest): RoomServiceCaller {
  if (!request.roomServiceCaller) throw RoomServiceErrors.missingParameters(401);
  return request.roomServiceCaller;
}

interface ValidationIssue {
  instancePath?: string;
  keyword?: string;
}

/** RoomService answers for everything a command can throw. */
function sendError(error: unknown, request: FastifyRequest, reply: FastifyReply) {
  if (error instanceof RoomServiceError) {
    return reply.status(error.status).send({ code: error.code, message: error.message });
  }
  const validation = (error as { validation?: ValidationIssue[] }).validation;
  if (Array.isArray(validation)) {
    const issue = validation[0];
    const failure =
      issue?.instancePath === '/roomInfo' && issue.keyword === 'maxLength'
        ? RoomServiceErrors.roomInfoTooLong()
        : RoomServiceErrors.missingParameters();
    return reply.status(failure.status).send({ code: failure.code, message: failure.message });
  }
  // Not the protocol's own: the paid-call way, the HTTP status as the code (banned 403, call not waiting 409).
  const described = describeError(error);
  if (described.status >= 500) request.log.error({ err: error }, 'request failed');
  if (described.status === 503) reply.header('retry-after', '1');
  return reply.status(described.status).send({ code: described.status, message: described.message });
}

export const roomServiceRoutes: FastifyPluginAsyncTypebox<{ roomService: RoomService }> = async (
  app,
  { roomService },
) => {
  acceptEmptyJsonBodies(app);
  app.decorateRequest('roomServiceCaller', null);
  app.setErrorHandler((error, request, reply) => sendError(error, request, reply));
  // Before the body is validated: a missing or wrong token answers 2 / 7 whatever the body holds.
  app.addHook('preValidation', async (request) => {
    const auth = request.routeOptions.config.roomServiceAuth;
    if (auth === 'none') return;
    // The heartbeat checks its token itself, in the same Redis call as the beat; a missing one is still 2 first.
    if (auth === 'self') {
      if (!credentialsOf(request).token) throw RoomServiceErrors.missingParameters(401);
      return;
    }
    request.roomServiceCaller = await roomService.authenticate(credentialsOf(request));
  });

  for (const prefix of ROOMSERVICE_PREFIXES) {
    const tags = [`RoomService (${prefix}/)`];
    const route = (name: string) => `${prefix}/${name}`;

    app.post(
      route('login'),
      {
        schema: {
          tags,
          querystring: LoginQuery,
          body: Type.Object({}),
          response: { 200: answer({ userID: Type.String(), token: Type.String() }) },
        },
        config: { roomServiceAuth: 'none' },
      },
      async (request) => {
        const { sdkAppID, userID, userSig } = request.query;
        return ok(await roomService.login({ sdkAppId: sdkAppID, userId: userID, userSig }));
      },
    );

    app.post(
      route('logout'),
      { schema: { tags, querystring: Query, body: body({}), response: { 200: answer({}) } } },
      async (request) => {
        await roomService.logout(caller(request));
        return ok();
      },
    );

    app.post(
      route('get_push_url'),
      {
        schema: {
          tags,
          querystring: Query,
          body: body({ roomID: Type.Optional(Type.Union([RoomId, Type.Literal('')])) }),
          response: {
            200: answer({ pushURL: Type.String(), roomInstanceId: Type.Optional(Type.Integer()) }),
          },
        },
      },
      async (request) => ok(await roomService.pushUrl(caller(request), request.body.roomID || undefined)),
    );

    app.post(
      route('create_room'),
      {
        schema: {
          tags,
          querystring: Query,
          body: body({
            roomInfo: Type.Optional(Text(MAX_ROOM_INFO)),
            roomID: Type.Optional(Type.Union([RoomId, Type.Literal('')])),
            guestId: Type.Optional(Id),
          }),
          response: {
            200: answer({
              roomID: Type.String(),
              roomInstanceId: Type.Optional(Type.Integer()),
              pushURL: Type.Optional(Type.String()),
            }),
          },
        },
      },
      async (request) => {
        const { roomInfo, roomID, guestId } = request.body;
        return ok(
          await roomService.createRoom(caller(request), {
            ...(roomInfo !== undefined ? { roomInfo } : {}),
            ...(roomID ? { roomId: roomID } : {}),
            ...(guestId !== undefined ? { guestId } : {}),
          }),
        );
      },
    );

    app.post(
      route('destroy_room'),
      { schema: { tags, querystring: Query, body: body({ roomID: RoomId }), response: { 200: answer({}) } } },
      async (request) => {
        await roomService.destroyRoom(caller(request), request.body.roomID);
        return ok();
      },
    );

    app.post(
      route('add_pusher'),
      {
        schema: {
          tags,
          querystring: Query,
          body: body({
            roomID: RoomId,
            userName: Text(256),
            userAvatar: Text(2048),
            pushURL: Type.String({ minLength: 1, maxLength: 2048 }),
            roomInfo: Type.Optional(Text(MAX_ROOM_INFO)),
          }),
          response: { 200: answer({ roomID: Type.String() }) },
        },
      },
      async (request) => {
        const { roomID, userName, userAvatar, pushURL, roomInfo } = request.body;
        const token = credentialsOf(request).token ?? '';
        return ok(
          await roomService.addPusher(caller(request), token, {
            roomId: roomID,
            userName,
            userAvatar,
            pushUrl: pushURL,
            roomInfo,
          }),
        );
      },
    );

    app.post(
      route('delete_pusher'),
      { schema: { tags, querystring: Query, body: body({ roomID: RoomId }), response: { 200: answer({}) } } },
      async (request) => {
        await roomService.deletePusher(caller(request), request.body.roomID);
        return ok();
      },
    );

    app.post(
      route('pusher_heartbeat'),
      {
        // roomID is checked after the token (a wrong token is 7 whatever the body holds).
        schema: {
          tags,
          querystring: Query,
          body: body({ roomID: Type.Optional(RoomId) }),
          response: { 200: answer({}) },
        },
        config: { roomServiceAuth: 'self' },
      },
      async (request) => {
        await roomService.heartbeat(credentialsOf(request), request.body.roomID);
        return ok();
      },
    );

    app.post(
      route('get_pushers'),
      {
        schema: {
          tags,
          querystring: Query,
          body: body({ roomID: RoomId }),
          response: { 200: answer(RoomView) },
        },
      },
      async (request) => ok(await roomService.pushers(request.body.roomID)),
    );

    app.post(
      route('get_room_list'),
      {
        schema: {
          tags,
          querystring: Query,
          body: body({
            index: Type.Integer({ minimum: 0, default: 0 }),
            cnt: Type.Integer({ minimum: 0, maximum: 1000, default: 20 }),
          }),
          response: { 200: answer({ rooms: Type.Array(Type.Object(RoomView)) }) },
        },
      },
      async (request) => ok({ rooms: await roomService.roomList(request.body.index, request.body.cnt) }),
    );

    app.post(
      route('merge_stream'),
      {
        schema: {
          tags,
          querystring: Query,
          body: body({ roomID: RoomId, mergeParams: Type.String({ minLength: 1, maxLength: 16_384 }) }),
          response: {
            200: answer({
              result: Type.Object({
                code: Type.Integer(),
                message: Type.String(),
                timestamp: Type.Optional(Type.Integer()),
              }),
            }),
          },
        },
      },
      async (request) => ok({ result: await roomService.mergeStream(request.body.mergeParams) }),
    );

    app.post(
      route('add_audience'),
      {
        schema: {
          tags,
          querystring: Query,
          body: body({ roomID: RoomId, userInfo: Text(4096) }),
          response: { 200: answer({}) },
        },
      },
      async (request) => {
        await roomService.addAudience(caller(request), request.body.roomID, request.body.userInfo);
        return ok();
      },
    );

    app.post(
      route('delete_audience'),
      { schema: { tags, querystring: Query, body: body({ roomID: RoomId }), response: { 200: answer({}) } } },
      async (request) => {
        await roomService.deleteAudience(caller(request), request.body.roomID);
        return ok();
      },
    );

    app.post(
      route('get_audiences'),
      {
        schema: {
          tags,
          querystring: Query,
          body: body({ roomID: RoomId }),
          response: {
            200: answer({
              audiences: Type.Array(Type.Object({ userID: Type.String(), userInfo: Type.String() })),
              audienceCount: Type.Integer(),
            }),
          },
        },
      },
      async (request) => ok(await roomService.audiences(request.body.roomID)),
    );
  }
};
