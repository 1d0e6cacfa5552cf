import { and, eq, inArray } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { type User, users } from '../db/schema/index.js';
import { banPolicy } from '../moderation/ban-policy.js';
import type { Presence } from '../realtime/presence.js';
import type { CallIndex } from './call-index.js';

/** The apps' liveStatus / onlineStatus codes. */
export const LIVE_STATUS = { offline: 1, online: 3, busy: 4 } as const;
export type LiveStatus = (typeof LIVE_STATUS)[keyof typeof LIVE_STATUS];

/** Online, busy or offline, from connections and REST activity (presence) and call membership. */
export function createPresenceService(db: Db, presence: Presence, callIndex: CallIndex) {
  return {
    /** A banned anchor shows as offline: nobody can call her. */
    async liveStatusOf(anchor: User): Promise<LiveStatus> {
      return banPolicy.mayBeListed(anchor) ? this.statusOf(anchor.id) : LIVE_STATUS.offline;
    },

    async statusOf(userId: number): Promise<LiveStatus> {
      if (await callIndex.activeCallOf(userId)) return LIVE_STATUS.busy;
      return (await presence.isOnline(userId)) ? LIVE_STATUS.online : LIVE_STATUS.offline;
    },

    /** Online guests who show themselves (display 0), are not banned and not in a call; most recently active first. */
    async availableGuests(limit = 100): Promise<User[]> {
      const online = await presence.onlineUsers();
      if (online.length === 0) return [];
      const busy = await callIndex.activeCallsOf(online.map((entry) => entry.userId));
      const candidates = online.filter((entry) => !busy.has(entry.userId));
      if (candidates.length === 0) return [];
      const rows = await db
        .select()
        .from(users)
        .where(
          and(
            inArray(
              users.id,
              candidates.map((entry) => entry.userId),
            ),
            eq(users.role, 'guest'),
            eq(users.display, 0),
            // banPolicy.mayBeListed, as SQL.
            eq(users.banState, 'none'),
          ),
        );
      const byId = new Map(rows.map((user) => [user.id, user]));
      return candidates
        .map((entry) => byId.get(entry.userId))
        .filter((user): user is User => user !== undefined)
        .slice(0, limit);
    },
  };
}

export type PresenceService = ReturnType<typeof createPresenceService>;
