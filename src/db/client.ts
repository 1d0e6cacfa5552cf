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
  /**
   * LISTENs on `channel` (a fixed identifier) on a connection of its own, reconnecting by itself;
   * `hearing` says when notifications start and stop arriving (any sent meanwhile are missed).
   * Resolves with the function that stops listening.
   */
  listen(channel: string, handlers: ListenHandlers): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

export interface ListenHandlers {
  notification(payload: string): void;
  hearing(up: boolean): void;
}

/** A dedicated node-postgres connection for LISTEN (a pooled one would be handed to queries). */
async function listenOnPostgres(
  url: string,
  channel: string,
  handlers: ListenHandlers,
): Promise<() => Promise<void>> {
  if (!/^[a-z_][a-z0-9_]*$/.test(channel)) throw new Error(`not a channel name: ${channel}`);
  let current: pg.Client | null = null;
  let stopped = false;
  let retry: NodeJS.Timeout | undefined;
  const lost = (client: pg.Client) => {
    if (current !== client) return;
    current = null;
    handlers.hearing(false);
    client.end().catch(() => {});
    if (!stopped) retry = setTimeout(() => void connect(), 1_000);
  };
  async function connect(): Promise<void> {
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
    client.on('notification', (message) => {
      if (message.channel === channel) handlers.notification(message.payload ?? '');
    });
    client.on('error', () => lost(client));
    client.on('end', () => lost(client));
    current = client;
    try {
      await client.connect();
      await client.query(`LISTEN ${channel}`);
      if (current === client && !stopped) handlers.hearing(true);
    } catch {
      lost(client);
    }
  }
  await connect();
  return async () => {
    stopped = true;
    clearTimeout(retry);
    const client = current;
    current = null;
    handlers.hearing(false);
    await client?.end().catch(() => {});
  };
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
      listen: (channel, handlers) => listenOnPostgres(options.url as string, channel, handlers),
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
    listen: async (channel, handlers) => {
      const unlisten = await client.listen(channel, (payload) => handlers.notification(payload));
      handlers.hearing(true);
      return async () => {
        handlers.hearing(false);
        await unlisten();
      };
    },
    close: () => client.close(),
  };
}

/** Rows of a raw SQL query; both drivers answer `{rows}`. */
export async function queryRows<T>(db: Db, query: SQL): Promise<T[]> {
  const result = (await db.execute(query)) as unknown as { rows: T[] };
  return result.rows;
}
