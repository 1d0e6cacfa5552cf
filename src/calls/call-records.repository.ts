import { and, desc, eq, or, sql } from 'drizzle-orm';
import { chargesOfCall, lockCallMoney } from '../billing/call-billing.js';
import { type Db, queryRows } from '../db/client.js';
import { type CallRecord, callRecords, machineArchives, users } from '../db/schema/index.js';

const CALL_ID_SEQUENCE = 'call_id_seq';

export type NewCallRecord = typeof callRecords.$inferInsert;

/**
 * A record before its amounts and status: those come from the ledger when it is written (status 2
 * "connected" needs a paid minute, so a call whose first minute could not be paid counts as missed).
 */
export type UnpricedCallRecord = Omit<NewCallRecord, 'minutes' | 'diamonds' | 'points' | 'status'>;

/** A record with the profile of the other party, as the record screens show it. */
export interface RecordWithOther {
  record: CallRecord;
  other: { id: number; nickname: string; age: number; headImg: string };
}

export function createCallRecordsRepository(db: Db) {
  return {
    /** Allocates the id of a new call (its roomInstanceId and, later, its record id). */
    async nextCallId(): Promise<string> {
      const [row] = await queryRows<{ id: string }>(db, sql`select nextval(${CALL_ID_SEQUENCE})::text as id`);
      if (!row) throw new Error('call_id_seq returned nothing');
      return row.id;
    },

    /**
     * Writes the record once, with minutes and amounts summed from the call's ledger charges under
     * the call's money lock, so a minute charge can never land after (or be left out of) the record.
     * Answers the stored record (the existing one when a re-run finds it).
     */
    async insertFromLedger(record: UnpricedCallRecord): Promise<CallRecord> {
      const callId = String(record.id);
      return db.transaction(async (tx) => {
        await lockCallMoney(tx, callId);
        const charges = await chargesOfCall(tx, callId);
        await tx
          .insert(callRecords)
          .values({ ...record, ...charges, status: charges.minutes > 0 ? 2 : 1 })
          .onConflictDoNothing();
        const [stored] = await tx.select().from(callRecords).where(eq(callRecords.id, record.id));
        if (!stored) throw new Error(`call record ${callId} vanished`);
        return stored;
      });
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

    /** The user's records (as guest or anchor), newest first, each with the other party's profile. */
    async listWithOtherParty(userId: number, limit: number, offset: number): Promise<RecordWithOther[]> {
      const rows = await db
        .select({
          record: callRecords,
          other: { id: users.id, nickname: users.nickname, age: users.age, headImg: users.headImg },
        })
        .from(callRecords)
        .innerJoin(
          users,
          sql`${users.id} = case when ${callRecords.guestId} = ${userId} then ${callRecords.anchorId} else ${callRecords.guestId} end`,
        )
        .where(or(eq(callRecords.guestId, userId), eq(callRecords.anchorId, userId)))
        .orderBy(desc(callRecords.createdAt), desc(callRecords.id))
        .limit(limit)
        .offset(offset);
      return rows;
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
