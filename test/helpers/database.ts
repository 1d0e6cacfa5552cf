import pg from 'pg';
import { type Database, openDatabase } from '../../src/db/client.js';
import { recordCreated, recordDropped } from './database-ledger.js';
import { TEST_POSTGRES_URL, uniqueName } from './services.js';

export interface TestDatabase {
  url: string;
  name: string;
  drop(): Promise<void>;
}

async function admin<T>(run: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: TEST_POSTGRES_URL });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}

/** An empty database of the test file's own, so files run in parallel without seeing each other. */
export async function createEmptyDatabase(label: string): Promise<TestDatabase> {
  const name = uniqueName(label);
  await admin((client) => client.query(`create database "${name}"`));
  recordCreated(name);
  const url = new URL(TEST_POSTGRES_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    drop: async () => {
      await admin((client) => client.query(`drop database if exists "${name}" with (force)`));
      recordDropped(name);
    },
  };
}

/** An own database with every migration applied, opened through the app's own client. */
export async function createMigratedDatabase(label: string): Promise<TestDatabase & { database: Database }> {
  const empty = await createEmptyDatabase(label);
  const database = await openDatabase({ url: empty.url, dataDir: '/nonexistent', poolSize: 4 });
  return {
    ...empty,
    database,
    drop: async () => {
      await database.close();
      await empty.drop();
    },
  };
}
