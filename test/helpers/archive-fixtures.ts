import type pg from 'pg';

/**
 * Fills a test database's archive quickly: `count` copies of one finished call (its
 * `machine_archives` row and its `call_records` row), numbered `firstId + 1…`, each archived one
 * second before the previous, in two statements.
 */
export async function copyArchivedCall(
  client: pg.Client,
  templateId: string,
  count: number,
  firstId: number,
): Promise<void> {
  await client.query(
    `insert into call_records
     select (jsonb_populate_record(null::call_records, to_jsonb(r) || jsonb_build_object('id', $2::bigint + g))).*
       from call_records r, generate_series(1, $3::int) g
      where r.id = $1::bigint`,
    [templateId, firstId, count],
  );
  await client.query(
    `insert into machine_archives (kind, id, final_state, snapshot, history, archived_at)
     select a.kind, ($2::bigint + g)::text, a.final_state,
            jsonb_set(a.snapshot, '{context,callId}', to_jsonb(($2::bigint + g)::text)),
            a.history, a.archived_at - g * interval '1 second'
       from machine_archives a, generate_series(1, $3::int) g
      where a.kind = 'call' and a.id = $1`,
    [templateId, firstId, count],
  );
}
