import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Balances } from '../../billing/balances.js';
import type { UsersService } from '../../users/users.service.js';
import { currentUser, userWithRole } from '../request-user.js';
import { ok, paidCallBody, paidCallResponse } from './envelope.js';

const Display = Type.Union([Type.Literal(0), Type.Literal(1)], { description: '1 hidden, 0 shown' });

export interface UserRoutesDeps {
  users: Pick<UsersService, 'updateUnitPrice' | 'updateDisplay'>;
  balances: Balances;
}

/** `/app/user/*`: the caller's wallet summary and settings. */
export const paidCallUserRoutes: FastifyPluginAsyncTypebox<UserRoutesDeps> = async (
  app,
  { users, balances },
) => {
  const tags = ['paid-call: users'];

  app.post(
    '/app/user/getCurrentUserInfo',
    {
      schema: {
        tags,
        body: paidCallBody({}),
        response: {
          200: paidCallResponse({
            diamond: Type.Optional(Type.String()),
            unitPrice: Type.Optional(Type.String()),
            display: Type.Optional(Type.Integer()),
          }),
        },
      },
    },
    async (request) => {
      const user = currentUser(request);
      if (user.role === 'anchor') return ok({ unitPrice: String(user.unitPrice) });
      const diamond = await balances.of(user.id, 'diamond');
      return ok({ diamond: String(diamond), display: user.display });
    },
  );

  app.post(
    '/app/user/updateUnitPrice',
    {
      schema: {
        tags,
        body: paidCallBody({ unitPrice: Type.Integer({ description: 'points per minute' }) }),
        response: { 200: paidCallResponse({ unitPrice: Type.Integer() }) },
      },
    },
    async (request) => {
      const anchor = userWithRole(request, 'anchor');
      await users.updateUnitPrice(anchor.id, request.body.unitPrice);
      return ok({ unitPrice: request.body.unitPrice });
    },
  );

  app.post(
    '/app/user/updateDisplay',
    {
      schema: {
        tags,
        body: paidCallBody({ display: Display }),
        response: { 200: paidCallResponse({ display: Type.Integer() }) },
      },
    },
    async (request) => {
      const guest = userWithRole(request, 'guest');
      await users.updateDisplay(guest.id, request.body.display);
      return ok({ display: request.body.display });
    },
  );
};
