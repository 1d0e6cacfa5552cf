import { existsSync } from 'node:fs';
import pg from 'pg';
import { redisAnswers } from '../../src/redis/private-redis.js';
import { dropLeftBehind } from './database-ledger.js';
import { START_COMMANDS, TEST_CHROMIUM, TEST_POSTGRES_URL, TEST_REDIS_URL } from './services.js';

export interface TestServices {
  postgresUrl: string;
  redisUrl: string;
  chromium: string;
}

/** What is wrong with the Postgres the suite would use, or undefined when it can create databases. */
async function postgresProblem(url: string): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3_000 });
  client.on('error', () => {});
  try {
    await client.connect();
  } catch (error) {
    return (
      `Postgres does not answer at ${url} (${(error as Error).message || (error as { code?: string }).code}).\n` +
      `    Start it: ${START_COMMANDS.postgres}\n` +
      '    or point TEST_DATABASE_URL at a Postgres whose user may create databases.'
    );
  }
  try {
    const { rows } = await client.query<{ allowed: boolean; user: string }>(
      'select current_user as user, (rolcreatedb or rolsuper) as allowed from pg_roles where rolname = current_user',
    );
    if (rows[0]?.allowed) return undefined;
    return (
      `Postgres user ${rows[0]?.user ?? '?'} at ${url} may not create databases (each test file ` +
      'makes its own): ALTER ROLE ... CREATEDB, or point TEST_DATABASE_URL at one that may.'
    );
  } finally {
    await client.end().catch(() => {});
  }
}

/** Every service the suite needs that is missing, each with the command that brings it up. */
export async function missingServices(services: TestServices): Promise<string[]> {
  const problems: string[] = [];
  const postgres = await postgresProblem(services.postgresUrl);
  if (postgres) problems.push(postgres);
  if (!(await redisAnswers(services.redisUrl))) {
    problems.push(
      `Redis does not answer at ${services.redisUrl}.\n    Start it: ${START_COMMANDS.redis}\n` +
        '    or point TEST_REDIS_URL at one (the suite only touches keys under its own prefixes).',
    );
  }
  if (!existsSync(services.chromium)) {
    problems.push(
      `${services.chromium} is missing (the admin panel's browser test drives it).\n` +
        `    Install it: ${START_COMMANDS.chromium}\n    or set TEST_CHROMIUM to a Chromium binary.`,
    );
  }
  return problems;
}

async function withPostgres(run: (client: pg.Client) => Promise<unknown>): Promise<void> {
  const client = new pg.Client({ connectionString: TEST_POSTGRES_URL });
  await client.connect();
  try {
    await run(client);
  } finally {
    await client.end();
  }
}

/** Fails the run at once, naming every missing service and the command that starts it. */
export default async function checkServices(): Promise<() => Promise<void>> {
  const problems = await missingServices({
    postgresUrl: TEST_POSTGRES_URL,
    redisUrl: TEST_REDIS_URL,
    chromium: TEST_CHROMIUM,
  });
  if (problems.length > 0) {
    throw new Error(`npm test needs services that are not there:\n  - ${problems.join('\n  - ')}\n`);
  }
  await withPostgres(dropLeftBehind);
  // At the end the workers have exited: what a crashed file created and did not drop goes now.
  return () => withPostgres(dropLeftBehind);
}
