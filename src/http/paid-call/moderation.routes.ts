import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { ModerationService } from '../../moderation/moderation.service.js';
import { currentUser } from '../request-user.js';
import { ok, paidCallBody, paidCallResponse } from './envelope.js';

/** The anchor app's moderation notices (paid-call 26, 27); a banned user may still read why. */
export const paidCallModerationRoutes: FastifyPluginAsyncTypebox<{ moderation: ModerationService }> = async (
  app,
  { moderation },
) => {
  const tags = ['paid-call: moderation'];

  app.post(
    '/app/live/getWarnMessage',
    {
      schema: {
        tags,
        description:
          "The admin's pending warning ('' when none). Answered once: it is cleared as it is read.",
        body: paidCallBody({}),
        response: { 200: paidCallResponse({ warnMessage: Type.String() }) },
      },
    },
    async (request) => ok({ warnMessage: await moderation.takeWarnMessage(currentUser(request).id) }),
  );

  app.post(
    '/app/live/getExitMessage',
    {
      schema: {
        tags,
        description: "Why the user may not broadcast: the ban's message ('' when not banned).",
        body: paidCallBody({}),
        response: { 200: paidCallResponse({ exitMessage: Type.String() }) },
      },
    },
    async (request) => ok({ exitMessage: await moderation.exitMessage(currentUser(request).id) }),
  );
};
