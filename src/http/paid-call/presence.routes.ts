import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { diamondPriceOf } from '../../billing/call-billing.js';
import type { PresenceService } from '../../calls/presence.service.js';
import { notFound } from '../../errors.js';
import type { UsersService } from '../../users/users.service.js';
import { currentUser } from '../request-user.js';
import { Id } from '../schemas.js';
import { ok, paidCallBody, paidCallResponse } from './envelope.js';

export interface PresenceRoutesDeps {
  presence: PresenceService;
  users: UsersService;
  diamondsPerPoint: number;
}

const StatusCode = Type.Integer({ description: '1 offline / 3 online and free / 4 busy in a call' });

/** Who can be called now: an anchor's status and prices, a guest's status, the anchors' list of guests. */
export const paidCallPresenceRoutes: FastifyPluginAsyncTypebox<PresenceRoutesDeps> = async (app, deps) => {
  app.post(
    '/app/live/getMasterInfo',
    {
      schema: {
        tags: ['paid-call: presence'],
        body: paidCallBody({ masterId: Id }),
        response: {
          200: paidCallResponse({
            masterId: Type.Integer(),
            liveStatus: StatusCode,
            nickname: Type.String(),
            age: Type.Integer(),
            imgUrl: Type.String(),
            unitPrice: Type.String({ description: '"30积分"' }),
            unitPriceDiamond: Type.String({ description: '"60钻石"' }),
          }),
        },
      },
    },
    async (request) => {
      currentUser(request);
      const anchor = await deps.users.find(request.body.masterId);
      if (anchor?.role !== 'anchor') throw notFound(`no anchor ${request.body.masterId}`, 'masterId');
      return ok({
        masterId: anchor.id,
        liveStatus: await deps.presence.liveStatusOf(anchor),
        nickname: anchor.nickname,
        age: anchor.age,
        imgUrl: anchor.headImg,
        unitPrice: `${anchor.unitPrice}积分`,
        unitPriceDiamond: `${diamondPriceOf(anchor.unitPrice, deps.diamondsPerPoint)}钻石`,
      });
    },
  );

  app.post(
    '/app/live/getGuestCurrentUserInfo',
    {
      schema: {
        tags: ['paid-call: presence'],
        body: paidCallBody({ guestId: Id }),
        response: { 200: paidCallResponse({ onlineStatus: StatusCode }) },
      },
    },
    async (request) => {
      currentUser(request);
      const guest = await deps.users.find(request.body.guestId);
      if (guest?.role !== 'guest') throw notFound(`no guest ${request.body.guestId}`, 'guestId');
      return ok({ onlineStatus: await deps.presence.statusOf(guest.id) });
    },
  );

  app.post(
    '/app/user/getGuestList',
    {
      schema: {
        tags: ['paid-call: presence'],
        body: paidCallBody({}),
        response: {
          200: paidCallResponse({
            itemList: Type.Array(
              Type.Object({
                userId: Type.Integer(),
                nickname: Type.String(),
                headImg: Type.String(),
                age: Type.Integer(),
              }),
            ),
          }),
        },
      },
    },
    async (request) => {
      currentUser(request);
      const guests = await deps.presence.availableGuests();
      return ok({
        itemList: guests.map((guest) => ({
          userId: guest.id,
          nickname: guest.nickname,
          headImg: guest.headImg,
          age: guest.age,
        })),
      });
    },
  );
};
