import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import type { SQL } from 'drizzle-orm';
import { drizzle as drizzleNodePg } from 'drizzle-orm/node-postgres';
import { migrate as migrateNodePg } from 'drizzle-orm/node-postgres/migrator';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import pg from 'pg';
import { guardPoolCheckouts } from './pool-guard.js';
import * as schema from './schema/index.js';
import { countStatements } from './statement-count.js';

export type Schema = typeof schema;
/** The one database type the services use; both drivers implement it. */
export type Db = PgDatabase<PgQueryResultHKT, Schema>;

export interface Database {
  db: Db;
  driver: 'postgres' | 'pglite';
  /** Cheap round trip for /healthz. */
  ping(): Promise<void>;
  /** Statements (each one round trip) sent so far by this process; null for the embedded PGlite. */
  statementsSent(): number | null;
  close(): Promise<void>;
}

export const MIGRATIONS_FOLDER = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../migrations',
);

/** Arbitrary, fixed: the advisory lock every server process takes to migrate one at a time. */
const MIGRATION_LOCK_ID = 4_242_001;

/** Several processes starting together against an empty database must not race on the migrations. */
async function withMigrationLock(pool: pg.Pool, migrate: () => Promise<void>): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('select pg_advisory_lock($1)', [MIGRATION_LOCK_ID]);
    await migrate();
  } finally {
    await client.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK_ID]).catch(() => {});
    client.release();
  }
}

export interface OpenDatabaseOptions {
  /** Postgres connection string; without it an embedded PGlite is opened under dataDir. */
  url?: string | undefined;
  dataDir: string;
  poolSize?: number;
}

/** Opens the database and applies every pending migration before anything else touches it. */
export async function openDatabase(options: OpenDatabaseOptions): Promise<Database> {
  if (options.url) {
    const pool = new pg.Pool({
      connectionString: options.url,
      max: options.poolSize ?? 10,
      connectionTimeoutMillis: 5_000,
    });
    // A dropped connection must not crash the process: the pool replaces it and /healthz reports it.
    pool.on('error', () => {});
    // pg-pool drops its own error listener while a client is checked out (a transaction), so a
    // connection killed mid-transaction would otherwise crash the process; the query itself fails.
    pool.on('connect', (client) => client.on('error', () => {}));
    guardPoolCheckouts(pool);
    const statementsSent = countStatements(pool);
    const db = drizzleNodePg({ client: pool, schema }) as unknown as Db;
    await withMigrationLock(pool, () => migrateNodePg(db as never, { migrationsFolder: MIGRATIONS_FOLDER }));
    return {
      db,
      driver: 'postgres',
      ping: async () => {
        await pool.query('select 1');
      },
      statementsSent,
      close: () => pool.end(),
    };
  }
  const dir = path.resolve(options.dataDir, 'pglite');
  await mkdir(dir, { recursive: true });
  const client = new PGlite(dir);
  const db = drizzlePglite({ client, schema }) as unknown as Db;
  await migratePglite(db as never, { migrationsFolder: MIGRATIONS_FOLDER });
  return {
    db,
    driver: 'pglite',
    ping: async () => {
      await client.query('select 1');
    },
    statementsSent: () => null,
    close: () => client.close(),
  };
}

/** Rows of a raw SQL query; both drivers answer `{rows}`. */
export async function queryRows<T>(db: Db, query: SQL): Promise<T[]> {
  const result = (await db.execute(query)) as unknown as { rows: T[] };
  return result.rows;
}
