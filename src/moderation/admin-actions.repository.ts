import { and, desc, eq } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { adminActions } from '../db/schema/index.js';

export type AdminTargetKind = 'call' | 'room' | 'live_room' | 'user' | 'config';

export interface AdminActionInput {
  /** The admin credential's fingerprint (`admin:<12 hex>`), never the token. */
  actor: string;
  /** `call.hangup`, `room.end`, `user.warn`, `user.ban`, `user.unban`, `config.set`. */
  action: string;
  targetKind: AdminTargetKind;
  targetId: string;
  /** What was asked and what came of it (e.g. whether the machine applied the event). */
  payload: Record<string, unknown>;
}

export interface AdminActionRow extends AdminActionInput {
  id: number;
  createdAt: Date;
}

type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];

/** The operators' audit trail: one row per admin action, refused ones included. */
export function createAdminActionsRepository(db: Db) {
  return {
    async record(input: AdminActionInput, tx: Db | Tx = db): Promise<void> {
      await tx.insert(adminActions).values(input);
    },

    async listFor(targetKind: AdminTargetKind, targetId: string, limit = 50): Promise<AdminActionRow[]> {
      const rows = await db
        .select()
        .from(adminActions)
        .where(and(eq(adminActions.targetKind, targetKind), eq(adminActions.targetId, targetId)))
        .orderBy(desc(adminActions.id))
        .limit(limit);
      return rows.map((row) => ({
        ...row,
        targetKind: row.targetKind as AdminTargetKind,
        payload: row.payload as Record<string, unknown>,
      }));
    },
  };
}

export type AdminActionsRepository = ReturnType<typeof createAdminActionsRepository>;
