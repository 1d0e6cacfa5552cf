import { and, desc, eq, or, sql } from 'drizzle-orm';
import type { MinuteCharge } from '../billing/call-billing.js';
import { type Db, queryRows } from '../db/client.js';
import { fromColumnRow, toColumnJson } from '../db/raw-rows.js';
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

export function createCallRecordsRepository(db: Db, options: { callIdBlock?: number } = {}) {
  const callIdBlock = options.callIdBlock ?? 50;
  // Call ids come from the database sequence a block at a time: one round trip per block instead
  // of one per call. Ids stay unique across processes (each block is the process's own); they are
  // only roughly ordered between processes, and a restart leaves a gap, which nothing relies on.
  let spareIds: string[] = [];
  let refill: Promise<void> | null = null;

  return {
    /** Allocates the id of a new call (its roomInstanceId and, later, its record id). */
    async nextCallId(): Promise<string> {
      while (spareIds.length === 0) {
        refill ??= queryRows<{ id: string }>(
          db,
          sql`select nextval(${CALL_ID_SEQUENCE})::text as id from generate_series(1, ${callIdBlock})`,
        )
          .then((rows) => {
            spareIds = rows.map((row) => row.id).sort((a, b) => Number(a) - Number(b));
          })
          .finally(() => {
            refill = null;
          });
        await refill;
      }
      return spareIds.shift()!;
    },

    /**
     * Settles a call in one round trip (SQL function `settle_call`, migrations/0005): charges the
     * listed minutes the ledger lacks, then writes the record once, with minutes and amounts summed
     * from the call's ledger charges under the call's money lock, so a minute charge can never land
     * after (or be left out of) the record. Answers the stored record (the existing one on a re-run).
     */
    async settle(record: UnpricedCallRecord, charges: readonly MinuteCharge[]): Promise<CallRecord> {
      const [row] = await queryRows<Record<string, unknown>>(
        db,
        sql`select * from settle_call(${JSON.stringify(toColumnJson(callRecords, record))}::jsonb, ${JSON.stringify(
          charges.map((charge) => ({ ...charge, callId: Number(charge.callId) })),
        )}::jsonb)`,
      );
      if (!row) throw new Error(`settle_call ${record.id} answered no record`);
      return fromColumnRow(callRecords, row);
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
