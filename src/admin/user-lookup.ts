import { desc, eq, or } from 'drizzle-orm';
import type { CallIndex } from '../calls/call-index.js';
import type { Db } from '../db/client.js';
import {
  accounts,
  CURRENCIES,
  type Currency,
  callRecords,
  rechargeOrders,
  users,
} from '../db/schema/index.js';
import { notFound } from '../errors.js';
import type { AdminActionRow, AdminActionsRepository } from '../moderation/admin-actions.repository.js';
import type { OpenSocket } from '../realtime/open-sockets.js';
import type { RoomIndex } from '../rooms/room-index.js';

export interface UserCallSummary {
  callId: number;
  role: 'guest' | 'anchor';
  otherUserId: number;
  status: number;
  endReason: string;
  minutes: number;
  diamonds: number;
  points: number;
  banTitle: string | null;
  banStreamStatus: number | null;
  createdAt: number;
  endedAt: number;
}

/**
 * A user as the panel shows him: profile, balance per currency, ban state, pending warning, the
 * call and room he is in, his recent calls and what admins did to him. Built from explicit fields
 * only: nothing that lets someone sign in (tokens live hashed in api_tokens and never come here).
 */
export function createUserLookup(deps: {
  db: Db;
  callIndex: CallIndex;
  roomIndex: RoomIndex;
  adminActions: AdminActionsRepository;
  /** Online: a socket in a live process or REST activity within the last minute. */
  isOnline(userId: number): Promise<boolean>;
  socketsOf(userId: number): Promise<OpenSocket[]>;
}) {
  const { db } = deps;
  return async function lookUpUser(userId: number, recent = 20) {
    const [user] = await db.select().from(users).where(eq(users.id, userId));
    if (!user) throw notFound(`no user ${userId}`, 'id');
    const [balanceRows, calls, activeCall, activeRoom, actions, online, sockets, orders] = await Promise.all([
      db
        .select({ currency: accounts.currency, balance: accounts.balance })
        .from(accounts)
        .where(eq(accounts.userId, userId)),
      db
        .select()
        .from(callRecords)
        .where(or(eq(callRecords.guestId, userId), eq(callRecords.anchorId, userId)))
        .orderBy(desc(callRecords.createdAt))
        .limit(recent),
      deps.callIndex.activeCallOf(userId),
      deps.roomIndex.activeRoomOf(userId),
      deps.adminActions.listFor('user', String(userId)),
      deps.isOnline(userId),
      deps.socketsOf(userId),
      db
        .select()
        .from(rechargeOrders)
        .where(eq(rechargeOrders.userId, userId))
        .orderBy(desc(rechargeOrders.createdAt), desc(rechargeOrders.outTradeNo))
        .limit(recent),
    ]);
    const balances = Object.fromEntries(CURRENCIES.map((currency) => [currency, 0])) as Record<
      Currency,
      number
    >;
    for (const row of balanceRows) balances[row.currency] = row.balance;
    return {
      profile: {
        userId: user.id,
        role: user.role,
        nickname: user.nickname,
        age: user.age,
        gender: user.gender,
        headImg: user.headImg,
        area: user.area,
        unitPrice: user.unitPrice,
        display: user.display,
        wechatBound: user.wechatOpenid !== null,
        createdAt: user.createdAt.getTime(),
        lastLoginAt: user.lastLoginAt?.getTime() ?? null,
      },
      balances,
      ban: { state: user.banState, message: user.banMessage },
      warnMessage: user.warnMessage,
      activeCallId: activeCall,
      activeRoomId: activeRoom,
      presence: {
        status: activeCall ? ('busy' as const) : online ? ('online' as const) : ('offline' as const),
        sockets: sockets.length,
      },
      sockets,
      recentOrders: orders.map((order) => ({
        outTradeNo: order.outTradeNo,
        currency: order.currency,
        amount: order.amount,
        priceFen: order.priceFen,
        status: order.status,
        createdAt: order.createdAt.getTime(),
        paidAt: order.paidAt?.getTime() ?? null,
      })),
      recentCalls: calls.map(
        (call): UserCallSummary => ({
          callId: call.id,
          role: call.guestId === userId ? 'guest' : 'anchor',
          otherUserId: call.guestId === userId ? call.anchorId : call.guestId,
          status: call.status,
          endReason: call.endReason,
          minutes: call.minutes,
          diamonds: call.diamonds,
          points: call.points,
          banTitle: call.banTitle,
          banStreamStatus: call.banStreamStatus,
          createdAt: call.createdAt.getTime(),
          endedAt: call.endedAt.getTime(),
        }),
      ),
      adminActions: actions satisfies AdminActionRow[],
    };
  };
}

export type UserLookup = ReturnType<typeof createUserLookup>;
