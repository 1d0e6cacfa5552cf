import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { CallsService } from '../../calls/calls.service.js';
import { conflict, forbidden } from '../../errors.js';
import type { LiveStreams } from '../../tencent/live-streams.js';
import { currentUser, userWithRole } from '../request-user.js';
import { Id } from '../schemas.js';
import { ok, paidCallBody, paidCallResponse } from './envelope.js';

/** A call's TRTC/CSS room id; get_push_url gets it back and finds the call by it. */
export const callRoomId = (callId: number | string) => `call_${callId}`;
const CALL_ROOM_PATTERN = /^call_(\d+)$/;

/**
 * `/weapp/live_room/*`: the anchor app was written against Tencent's live-room demo service, so these
 * answer in its shape (`{code, message, roomID}` / `{code, message, pushURL}`) plus roomInstanceId.
 */
export const paidCallLiveRoomRoutes: FastifyPluginAsyncTypebox<{
  calls: CallsService;
  live: LiveStreams;
}> = async (app, { calls, live }) => {
  const tags = ['paid-call: live room (Tencent demo shape)'];

  app.post(
    '/weapp/live_room/create_room',
    {
      schema: {
        tags,
        body: paidCallBody({ guestId: Type.Optional(Id) }),
        response: {
          200: paidCallResponse({
            roomID: Type.String(),
            roomInstanceId: Type.Union([Type.Integer(), Type.Null()]),
            pushURL: Type.String(),
          }),
        },
      },
    },
    async (request) => {
      const anchor = userWithRole(request, 'anchor');
      if (anchor.banState !== 'none') throw forbidden('you are banned from broadcasting');
      const { guestId } = request.body;
      if (guestId === undefined) {
        // Not bound to a call: the anchor's own standing room, e.g. to preview her camera.
        const roomID = `anchor_${anchor.id}`;
        return ok({ roomID, roomInstanceId: null, pushURL: live.pushUrl('call', roomID, anchor.id) });
      }
      const view = await calls.acceptByAnchor(anchor, guestId);
      const callId = String(view.roomInstanceId);
      return ok({
        roomID: callRoomId(callId),
        roomInstanceId: view.roomInstanceId,
        pushURL: live.pushUrl('call', callId, anchor.id),
      });
    },
  );

  app.post(
    '/weapp/live_room/get_push_url',
    {
      schema: {
        tags,
        body: paidCallBody({
          userID: Type.String({ minLength: 1, maxLength: 32, description: 'the caller, as a string' }),
          roomID: Type.String({ minLength: 1, maxLength: 64 }),
        }),
        response: {
          200: paidCallResponse({
            pushURL: Type.String(),
            roomInstanceId: Type.Integer(),
          }),
        },
      },
    },
    async (request) => {
      const user = currentUser(request);
      const { userID, roomID } = request.body;
      if (userID !== String(user.id)) throw forbidden('userID must be your own id');
      const callId = roomID.match(CALL_ROOM_PATTERN)?.[1];
      const context = callId ? await calls.contextOf(callId) : null;
      if (!callId || !context || (context.guestId !== user.id && context.anchorId !== user.id)) {
        throw conflict(`no active call of yours in room ${roomID}`);
      }
      return ok({ pushURL: live.pushUrl('call', callId, user.id), roomInstanceId: Number(callId) });
    },
  );
};
