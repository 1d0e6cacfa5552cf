import { and, eq, type SQL, sql } from 'drizzle-orm';
import { type Db, queryRows } from '../db/client.js';
import { machineArchives } from '../db/schema/index.js';
import { badRequest } from '../errors.js';
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

/** One row of the archive listing: the snapshot, the last few transitions, and a call's settlement. */
export interface ArchiveListRow {
  kind: string;
  id: string;
  finalState: string;
  snapshot: unknown;
  /** The last transitions (enough to find the one that entered the final state), oldest first. */
  tail: TransitionRecord[];
  archivedAt: Date;
  settlement: { minutes: number; diamonds: number; points: number; endReason: string } | null;
}

export interface ArchiveFilter {
  kind?: string | undefined;
  user?: number | undefined;
  endReason?: string | undefined;
  /** Archived at or after / before (epoch ms). */
  from?: number | undefined;
  to?: number | undefined;
  cursor?: string | undefined;
  limit: number;
}

/** Context fields that name a party, per kind (the same parties the live table shows). */
const PARTY_FIELDS: Record<string, string[]> = {
  call: ['guestId', 'anchorId'],
  room: ['matchmakerId'],
};

/**
 * Where a page ended: the last row's exact `archived_at` (as Postgres prints it, microseconds
 * included, so no row is skipped or repeated), kind and id, in an opaque string.
 */
function encodeCursor(row: { archived_at_text: string; kind: string; id: string }): string {
  return Buffer.from(JSON.stringify([row.archived_at_text, row.kind, row.id])).toString('base64url');
}

function decodeCursor(cursor: string): [string, string, string] {
  try {
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (
      Array.isArray(value) &&
      value.length === 3 &&
      value.every((part) => typeof part === 'string') &&
      /^\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(\.\d{1,6})?([+-]\d\d(:?\d\d)?|Z)?$/.test(String(value[0]))
    )
      return value as [string, string, string];
  } catch {}
  throw badRequest('cursor is not one this API gave out', 'cursor');
}

interface ListRow {
  kind: string;
  id: string;
  final_state: string;
  snapshot: unknown;
  tail: TransitionRecord[] | null;
  archived_at: Date | string;
  archived_at_text: string;
  minutes: number | null;
  diamonds: string | number | null;
  points: string | number | null;
  end_reason: string | null;
}

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

    /**
     * One page of finished instances, newest first, and the cursor of the next page (null on the
     * last). A page reads only its rows (keyset on `archived_at, kind, id`), however deep it is.
     */
    async list(filter: ArchiveFilter): Promise<{ rows: ArchiveListRow[]; nextCursor: string | null }> {
      const conditions: SQL[] = [];
      if (filter.kind) conditions.push(sql`a.kind = ${filter.kind}`);
      if (filter.user !== undefined) {
        const user = String(filter.user);
        const fields = [...new Set(Object.values(PARTY_FIELDS).flat())];
        conditions.push(
          sql`(${sql.join(
            fields.map((field) => sql`a.snapshot->'context'->>${field} = ${user}`),
            sql` or `,
          )})`,
        );
      }
      if (filter.endReason) conditions.push(sql`a.snapshot->'context'->>'endReason' = ${filter.endReason}`);
      if (filter.from !== undefined)
        conditions.push(sql`a.archived_at >= ${new Date(filter.from).toISOString()}`);
      if (filter.to !== undefined) conditions.push(sql`a.archived_at < ${new Date(filter.to).toISOString()}`);
      if (filter.cursor) {
        const [at, kind, id] = decodeCursor(filter.cursor);
        conditions.push(sql`(a.archived_at, a.kind, a.id) < (${at}::timestamptz, ${kind}, ${id})`);
      }
      const where = conditions.length ? sql`where ${sql.join(conditions, sql` and `)}` : sql``;
      const rows = await queryRows<ListRow>(
        db,
        sql`select a.kind, a.id, a.final_state, a.snapshot,
                   jsonb_path_query_array(a.history, '$[last - 4 to last]') as tail,
                   a.archived_at, a.archived_at::text as archived_at_text,
                   r.minutes, r.diamonds, r.points, r.end_reason
              from machine_archives a
              left join call_records r
                on a.kind = 'call'
               and r.id = case when a.id ~ '^[0-9]{1,18}$' then a.id::bigint end
              ${where}
             order by a.archived_at desc, a.kind desc, a.id desc
             limit ${filter.limit + 1}`,
      );
      const page = rows.slice(0, filter.limit);
      const last = page[page.length - 1];
      return {
        rows: page.map((row) => ({
          kind: row.kind,
          id: row.id,
          finalState: row.final_state,
          snapshot: row.snapshot,
          tail: row.tail ?? [],
          archivedAt: new Date(row.archived_at),
          settlement:
            row.minutes === null
              ? null
              : {
                  minutes: row.minutes,
                  diamonds: Number(row.diamonds),
                  points: Number(row.points),
                  endReason: row.end_reason ?? '',
                },
        })),
        nextCursor: rows.length > filter.limit && last ? encodeCursor(last) : null,
      };
    },
  };
}

export type MachineArchivesRepository = ReturnType<typeof createMachineArchivesRepository>;
