import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { adminActorOf } from './admin-fingerprint.js';
import { AdminReason, ErrorResponse, NumericId } from './admin-schemas.js';
import type { MachineActions } from './machine-actions.js';
import { stateName } from './machine-registry.js';

const Outcome = Type.Object({ id: Type.String(), state: Type.String(), view: Type.Unknown() });
/** The body is optional (scripts may send none); the panel always asks the operator for a reason. */
const ReasonBody = Type.Object({ reason: Type.Optional(AdminReason) }, { additionalProperties: false });
const MemberParams = Type.Object({ id: NumericId, userId: NumericId });

/** The admin's buttons on a running call or room; 409 when the machine does not take the event now. */
export const adminActionRoutes: FastifyPluginAsyncTypebox<{ actions: MachineActions }> = async (
  app,
  { actions },
) => {
  const common = { tags: ['admin: actions'], security: [{ adminBearer: [] }] };

  // A request with no body at all (a script's bare POST) is validated as `{}`: no reason given.
  app.addHook('preValidation', async (request) => {
    request.body ??= {};
  });
  const responses = { 200: Outcome, 404: ErrorResponse, 409: ErrorResponse };

  app.post(
    '/calls/:id/hangup',
    {
      schema: {
        ...common,
        description: 'Ends the call (SERVER_HANGUP); it settles like any other ending.',
        params: Type.Object({ id: NumericId }),
        body: ReasonBody,
        response: responses,
      },
    },
    async (request) => {
      const result = await actions.hangUpCall(request.params.id, {
        actor: adminActorOf(request),
        reason: request.body.reason,
      });
      return { id: request.params.id, state: stateName(result.snapshot.value), view: result.view };
    },
  );

  app.post(
    '/rooms/:id/end',
    {
      schema: {
        ...common,
        description: 'Ends the live room (ADMIN_END).',
        params: Type.Object({ id: NumericId }),
        body: ReasonBody,
        response: responses,
      },
    },
    async (request) => {
      const result = await actions.endRoom(request.params.id, {
        actor: adminActorOf(request),
        reason: request.body.reason,
      });
      return { id: request.params.id, state: stateName(result.snapshot.value), view: result.view };
    },
  );

  app.post(
    '/rooms/:id/members/:userId/remove-from-mic',
    {
      schema: {
        ...common,
        description: 'Takes a seat holder off the mic (LEAVE_SEAT with the matchmaker’s authority).',
        params: MemberParams,
        body: ReasonBody,
        response: responses,
      },
    },
    async (request) => {
      const { id, userId } = request.params;
      const result = await actions.removeFromMic(id, Number(userId), {
        actor: adminActorOf(request),
        reason: request.body.reason,
      });
      return { id, state: stateName(result.snapshot.value), view: result.view };
    },
  );

  app.post(
    '/rooms/:id/members/:userId/remove',
    {
      schema: {
        ...common,
        description: 'Sends a member out of the room (LEAVE); a seat holder leaves the mic first.',
        params: MemberParams,
        body: ReasonBody,
        response: responses,
      },
    },
    async (request) => {
      const { id, userId } = request.params;
      const result = await actions.removeFromRoom(id, Number(userId), {
        actor: adminActorOf(request),
        reason: request.body.reason,
      });
      return { id, state: stateName(result.snapshot.value), view: result.view };
    },
  );
};
