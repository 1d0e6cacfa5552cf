import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase, queryRows } from '../../../src/db/client.js';
import { createEmptyDatabase, type TestDatabase } from '../../helpers/database.js';

const EXPECTED_TABLES = ['accounts', 'api_tokens', 'gifts', 'ledger_entries', 'ledger_transactions', 'users'];

async function tablesOf(db: Awaited<ReturnType<typeof openDatabase>>['db']): Promise<string[]> {
  const rows = await queryRows<{ table_name: string }>(
    db,
    sql`select table_name from information_schema.tables where table_schema = 'public' order by table_name`,
  );
  return rows.map((row) => row.table_name);
}

describe('migrations', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const cleanup of cleanups) await cleanup();
  });

  it('apply cleanly to an empty Postgres database, and a second start applies nothing twice', async () => {
    const empty: TestDatabase = await createEmptyDatabase('migrations');
    cleanups.push(empty.drop);
    const first = await openDatabase({ url: empty.url, dataDir: '/nonexistent' });
    expect(await tablesOf(first.db)).toEqual(expect.arrayContaining(EXPECTED_TABLES));
    await first.close();
    const second = await openDatabase({ url: empty.url, dataDir: '/nonexistent' });
    const [applied] = await queryRows<{ n: number }>(
      second.db,
      sql`select count(*)::int as n from drizzle.__drizzle_migrations`,
    );
    expect(applied?.n).toBeGreaterThan(0);
    await second.close();
  });

  it('apply cleanly to embedded PGlite, and the data survives a reopen', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'co-pglite-'));
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
    const first = await openDatabase({ dataDir });
    expect(first.driver).toBe('pglite');
    expect(await tablesOf(first.db)).toEqual(expect.arrayContaining(EXPECTED_TABLES));
    await first.db.execute(sql`insert into gifts (name, cost) values ('rose', 10)`);
    await first.close();
    const second = await openDatabase({ dataDir });
    expect(await queryRows(second.db, sql`select name from gifts`)).toEqual([{ name: 'rose' }]);
    await second.close();
  }, 60_000);
});
