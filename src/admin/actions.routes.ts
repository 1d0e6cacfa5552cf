import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { adminActorOf } from './admin-fingerprint.js';
import { ErrorResponse, NumericId } from './admin-schemas.js';
import type { MachineActions } from './machine-actions.js';
import { stateName } from './machine-registry.js';

const Outcome = Type.Object({ id: Type.String(), state: Type.String(), view: Type.Unknown() });

/** The admin's buttons on a running call or room; 409 when the machine does not take the event now. */
export const adminActionRoutes: FastifyPluginAsyncTypebox<{ actions: MachineActions }> = async (
  app,
  { actions },
) => {
  const common = { tags: ['admin: actions'], security: [{ adminBearer: [] }] };
  const responses = { 200: Outcome, 404: ErrorResponse, 409: ErrorResponse };

  app.post(
    '/calls/:id/hangup',
    {
      schema: {
        ...common,
        description: 'Ends the call (SERVER_HANGUP); it settles like any other ending.',
        params: Type.Object({ id: NumericId }),
        response: responses,
      },
    },
    async (request) => {
      const result = await actions.hangUpCall(request.params.id, adminActorOf(request));
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
        response: responses,
      },
    },
    async (request) => {
      const result = await actions.endRoom(request.params.id, adminActorOf(request));
      return { id: request.params.id, state: stateName(result.snapshot.value), view: result.view };
    },
  );
};
