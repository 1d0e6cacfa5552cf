import { and, desc, eq, or, sql } from 'drizzle-orm';
import { type Db, queryRows } from '../db/client.js';
import { type CallRecord, callRecords, machineArchives } from '../db/schema/index.js';

const CALL_ID_SEQUENCE = 'call_id_seq';

export type NewCallRecord = typeof callRecords.$inferInsert;

export function createCallRecordsRepository(db: Db) {
  return {
    /** Allocates the id of a new call (its roomInstanceId and, later, its record id). */
    async nextCallId(): Promise<string> {
      const [row] = await queryRows<{ id: string }>(db, sql`select nextval(${CALL_ID_SEQUENCE})::text as id`);
      if (!row) throw new Error('call_id_seq returned nothing');
      return row.id;
    },

    /** Written once: a settlement re-run after a crash finds the row and leaves it as it is. */
    async insertOnce(record: NewCallRecord): Promise<void> {
      await db.insert(callRecords).values(record).onConflictDoNothing();
    },

    async find(callId: number): Promise<CallRecord | null> {
      const [record] = await db.select().from(callRecords).where(eq(callRecords.id, callId));
      return record ?? null;
    },

    async findForParty(callId: number, userId: number): Promise<CallRecord | null> {
      const [record] = await db
        .select()
        .from(callRecords)
        .where(
          and(
            eq(callRecords.id, callId),
            or(eq(callRecords.guestId, userId), eq(callRecords.anchorId, userId)),
          ),
        );
      return record ?? null;
    },

    async listForUser(userId: number, role: 'guest' | 'anchor', limit = 100): Promise<CallRecord[]> {
      const column = role === 'guest' ? callRecords.guestId : callRecords.anchorId;
      return db
        .select()
        .from(callRecords)
        .where(eq(column, userId))
        .orderBy(desc(callRecords.createdAt))
        .limit(limit);
    },

    async archive(
      kind: string,
      id: string,
      finalState: string,
      snapshot: unknown,
      history: unknown,
    ): Promise<void> {
      await db
        .insert(machineArchives)
        .values({ kind, id, finalState, snapshot, history })
        .onConflictDoNothing();
    },
  };
}

export type CallRecordsRepository = ReturnType<typeof createCallRecordsRepository>;
