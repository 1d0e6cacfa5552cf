import pg from 'pg';
import { redisAnswers } from '../../src/redis/private-redis.js';
import { TEST_POSTGRES_URL, TEST_REDIS_URL } from './services.js';

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Fails the run at once, with the fix, when a service the suite needs is down. */
export default async function checkServices(): Promise<void> {
  const client = new pg.Client({ connectionString: TEST_POSTGRES_URL, connectionTimeoutMillis: 3_000 });
  try {
    await client.connect();
    await client.query('select 1');
    // Databases left behind by an interrupted run.
    const stale = await client.query(
      "select datname from pg_database where datname like 't\\_%' and datname ~ '^t_[a-z0-9_]+$'",
    );
    for (const row of stale.rows as { datname: string }[]) {
      // Names carry the creating process's pid (uniqueName): leave a database of a run still going.
      const pid = Number(row.datname.match(/_(\d+)_[a-z0-9]+$/)?.[1]);
      if (Number.isInteger(pid) && isAlive(pid)) continue;
      await client.query(`drop database if exists "${row.datname}" with (force)`).catch(() => {});
    }
  } catch (error) {
    throw new Error(
      `Postgres is not reachable at ${TEST_POSTGRES_URL} (${(error as Error).message}); start it (see .ci/run).`,
    );
  } finally {
    await client.end().catch(() => {});
  }
  if (!(await redisAnswers(TEST_REDIS_URL))) {
    throw new Error(`Redis is not reachable at ${TEST_REDIS_URL}; start it (see .ci/run).`);
  }
}
