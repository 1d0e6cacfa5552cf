import { and, desc, eq, type SQL, sql } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { machineArchives } from '../db/schema/index.js';
import type { TransitionRecord } from '../runtime/index.js';

export interface ArchivedMachine {
  kind: string;
  id: string;
  finalState: string;
  /** The persisted xstate snapshot, as `getPersistedSnapshot` wrote it. */
  snapshot: unknown;
  history: TransitionRecord[];
  archivedAt: Date;
}

/** Context fields that name a party, per kind (the same parties the live table shows). */
const PARTY_FIELDS: Record<string, string[]> = {
  call: ['guestId', 'anchorId'],
  room: ['matchmakerId'],
};

/** Finished machines in Postgres (`machine_archives`, written by the runtime's onFinal). */
export function createMachineArchivesRepository(db: Db) {
  return {
    async find(kind: string, id: string): Promise<ArchivedMachine | null> {
      const [row] = await db
        .select()
        .from(machineArchives)
        .where(and(eq(machineArchives.kind, kind), eq(machineArchives.id, id)));
      return row ? { ...row, history: row.history as TransitionRecord[] } : null;
    },

    /** The latest finished instances, newest first; `user` keeps those where he was a party. */
    async list(filter: { kind?: string; user?: number; limit: number }): Promise<ArchivedMachine[]> {
      const conditions: SQL[] = [];
      if (filter.kind) conditions.push(eq(machineArchives.kind, filter.kind));
      if (filter.user !== undefined) {
        const user = String(filter.user);
        const fields = [...new Set(Object.values(PARTY_FIELDS).flat())];
        conditions.push(
          sql`(${sql.join(
            fields.map((field) => sql`${machineArchives.snapshot}->'context'->>${field} = ${user}`),
            sql` or `,
          )})`,
        );
      }
      const rows = await db
        .select()
        .from(machineArchives)
        .where(conditions.length > 0 ? and(...conditions) : undefined)
        .orderBy(desc(machineArchives.archivedAt))
        .limit(filter.limit);
      return rows.map((row) => ({ ...row, history: row.history as TransitionRecord[] }));
    },
  };
}

export type MachineArchivesRepository = ReturnType<typeof createMachineArchivesRepository>;
