import { eq, sql } from 'drizzle-orm';
import type { AnyStateMachine } from 'xstate';
import type { CallIndex } from '../calls/call-index.js';
import type { CallMachines } from '../calls/call-kind.js';
import { type Db, queryRows } from '../db/client.js';
import { type User, users } from '../db/schema/index.js';
import { notFound } from '../errors.js';
import type { RoomIndex } from '../rooms/room-index.js';
import type { RoomMachines } from '../rooms/room-kind.js';
import type { MachineHandle, RuntimeEvent } from '../runtime/index.js';
import type { AdminActionsRepository } from './admin-actions.repository.js';
import { banPolicy } from './ban-policy.js';

export type BanType = 'account' | 'stream';

export interface ModerationDeps {
  db: Db;
  calls: CallMachines;
  rooms: RoomMachines;
  callIndex: CallIndex;
  roomIndex: RoomIndex;
  actions: AdminActionsRepository;
  /** Pushes `user:warn` to the user's sockets. */
  pushWarning(userId: number, message: string): void;
  /** Closes an account-banned user's sockets in every process. */
  lockUser(userId: number): Promise<void>;
}

/** What a BAN did to the machine the user was in: the machine decides whether it applies. */
export interface MachineOutcome {
  kind: string;
  id: string;
  applied: boolean;
  state: string;
}

export interface BanResult {
  user: User;
  call: MachineOutcome | null;
  room: MachineOutcome | null;
}

/**
 * Warnings and bans. The user row is the truth (`ban_state`, read by every "may this user go
 * live / apply / enter" check); a ban is written and recorded first, then sent as a BAN event to
 * the call and the room the user is in, which end or drop him at once. If the process dies in
 * between, the ban stands and banning again re-sends the events (a BAN is harmless twice).
 */
export function createModerationService(deps: ModerationDeps) {
  const { db, actions } = deps;

  async function updateUser(
    userId: number,
    set: Partial<Pick<User, 'banState' | 'banMessage' | 'warnMessage'>>,
    audit: { actor: string; action: string; payload: Record<string, unknown> },
  ): Promise<User> {
    const user = await db.transaction(async (tx) => {
      const [updated] = await tx.update(users).set(set).where(eq(users.id, userId)).returning();
      if (!updated) throw notFound(`no user ${userId}`, 'id');
      await actions.record({ ...audit, targetKind: 'user', targetId: String(userId) }, tx);
      return updated;
    });
    return user;
  }

  async function sendBan(
    machines: MachineHandle<AnyStateMachine, unknown>,
    id: string | null,
    event: RuntimeEvent,
    actor: string,
  ): Promise<MachineOutcome | null> {
    if (!id) return null;
    try {
      const result = await machines.send(id, event, { actor });
      return { kind: machines.kind, id, applied: result.applied, state: String(result.snapshot.value) };
    } catch (error) {
      // The instance finished and expired between the index lookup and the event: nothing to end.
      if ((error as { kind?: unknown }).kind === 'not_found') return null;
      throw error;
    }
  }

  return {
    /** Stores the warning (getWarnMessage answers it) and pushes it to the user's apps now. */
    async warn(userId: number, message: string, actor: string): Promise<User> {
      const user = await updateUser(
        userId,
        { warnMessage: message },
        { actor, action: 'user.warn', payload: { message } },
      );
      deps.pushWarning(userId, message);
      return user;
    },

    /** `reason` is the operator's own note for the audit log; `message` is what the user is shown. */
    async ban(
      userId: number,
      type: BanType,
      message: string,
      actor: string,
      reason?: string,
    ): Promise<BanResult> {
      const user = await updateUser(
        userId,
        { banState: type, banMessage: message },
        { actor, action: 'user.ban', payload: { type, message, ...(reason ? { reason } : {}) } },
      );
      if (!banPolicy.maySignIn(user)) await deps.lockUser(userId);
      const call = await sendBan(
        deps.calls,
        await deps.callIndex.activeCallOf(userId),
        { type: 'BAN', userId, banType: type, title: message },
        actor,
      );
      const room = await sendBan(
        deps.rooms,
        await deps.roomIndex.activeRoomOf(userId),
        { type: 'BAN', userId },
        actor,
      );
      return { user, call, room };
    },

    async unban(userId: number, actor: string, reason?: string): Promise<User> {
      return updateUser(
        userId,
        { banState: 'none', banMessage: '' },
        { actor, action: 'user.unban', payload: reason ? { reason } : {} },
      );
    },

    /**
     * getWarnMessage: the pending warning, answered once. The app polls it and shows what it gets,
     * so a warning that stayed would pop up again on every poll; `admin_actions` keeps them all.
     */
    async takeWarnMessage(userId: number): Promise<string> {
      const [row] = await queryRows<{ message: string }>(
        db,
        sql`update users set warn_message = ''
              from (select id, warn_message from users where id = ${userId} for update) as previous
             where users.id = previous.id
         returning previous.warn_message as message`,
      );
      return row?.message ?? '';
    },

    /** getExitMessage: why the user may not broadcast (the ban's message), '' when not banned. */
    async exitMessage(userId: number): Promise<string> {
      const [user] = await db
        .select({ banState: users.banState, banMessage: users.banMessage })
        .from(users)
        .where(eq(users.id, userId));
      return !user || user.banState === 'none' ? '' : user.banMessage;
    },
  };
}

export type ModerationService = ReturnType<typeof createModerationService>;
