import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { PublicCallView } from '../../calls/call-view.js';
import type { CallsService } from '../../calls/calls.service.js';
import type { familyRateLimit } from '../rate-limits.js';
import { userWithRole } from '../request-user.js';
import { Id } from '../schemas.js';
import { ok, paidCallBody, paidCallResponse } from './envelope.js';

export interface CallRoutesDeps {
  calls: CallsService;
  /** The applies family's limit, shared by the three apply routes (abuse: ringing everyone). */
  applyRateLimit: ReturnType<typeof familyRateLimit>;
  startRateLimit: ReturnType<typeof familyRateLimit>;
}

/** What every call endpoint answers beside the envelope, so a client always learns the instance. */
const CallFields = {
  roomInstanceId: Type.Integer(),
  matchStatus: Type.Integer({
    description: '1 guest agreed / 2 not answered yet / 3 refused, cancelled or timed out',
  }),
  state: Type.String({ description: 'ringing | accepted | live | ended | settled' }),
  reason: Type.Union([Type.String(), Type.Null()]),
  roomID: Type.Union([Type.String(), Type.Null()], {
    description: "the call's RoomService room once the anchor opened it (create_room with guestId)",
  }),
};
const CallResponse = paidCallResponse(CallFields);

const callFields = (view: PublicCallView) => ({
  roomInstanceId: view.roomInstanceId,
  matchStatus: view.matchStatus,
  state: view.state,
  reason: view.reason,
  roomID: view.roomID,
});

const TargetBody = paidCallBody({ targetUserId: Id });

/** `/app/live/*` endpoints of the call flow: apply → ring → reply → live → hang up. */
export const paidCallCallRoutes: FastifyPluginAsyncTypebox<CallRoutesDeps> = async (
  app,
  { calls, applyRateLimit, startRateLimit },
) => {
  const tags = ['paid-call: calls'];
  const limited = { rateLimit: applyRateLimit };

  app.post(
    '/app/live/callGirl',
    { schema: { tags, body: TargetBody, response: { 200: CallResponse } }, config: limited },
    async (request) =>
      ok(callFields(await calls.applyToAnchor(userWithRole(request, 'guest'), request.body.targetUserId))),
  );

  app.post(
    '/app/live/callApplyGirl',
    { schema: { tags, body: TargetBody, response: { 200: CallResponse } }, config: limited },
    async (request) =>
      ok(callFields(await calls.applyToAnchor(userWithRole(request, 'guest'), request.body.targetUserId))),
  );

  app.post(
    '/app/live/callApplyMan',
    { schema: { tags, body: TargetBody, response: { 200: CallResponse } }, config: limited },
    async (request) =>
      ok(callFields(await calls.applyToGuest(userWithRole(request, 'anchor'), request.body.targetUserId))),
  );

  app.post(
    '/app/live/callReplyGirl',
    {
      schema: {
        tags,
        body: paidCallBody({
          targetUserId: Id,
          reply: Type.Union([Type.Literal(1), Type.Literal(2)], { description: '1 agree, 2 refuse' }),
        }),
        response: { 200: CallResponse },
      },
    },
    async (request) => {
      const guest = userWithRole(request, 'guest');
      return ok(callFields(await calls.reply(guest, request.body.targetUserId, request.body.reply === 1)));
    },
  );

  app.post(
    '/app/live/getMatchInfo',
    { schema: { tags, body: TargetBody, response: { 200: CallResponse } } },
    async (request) =>
      ok(callFields(await calls.matchInfo(userWithRole(request, 'anchor'), request.body.targetUserId))),
  );

  app.post(
    '/app/live/startCall',
    // Charges the first minute: a retry with the same Idempotency-Key gets the same answer.
    {
      schema: { tags, body: TargetBody, response: { 200: CallResponse } },
      config: { idempotent: true, rateLimit: startRateLimit },
    },
    async (request) =>
      ok(callFields(await calls.start(userWithRole(request, 'anchor'), request.body.targetUserId))),
  );

  app.post(
    '/app/live/hangUpMan',
    { schema: { tags, body: TargetBody, response: { 200: CallResponse } } },
    async (request) =>
      ok(callFields(await calls.hangUp(userWithRole(request, 'anchor'), request.body.targetUserId))),
  );

  app.post(
    '/app/live/hangUpGirl',
    { schema: { tags, body: TargetBody, response: { 200: CallResponse } } },
    async (request) =>
      ok(callFields(await calls.hangUp(userWithRole(request, 'guest'), request.body.targetUserId))),
  );
};
