import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../../src/redis/private-redis.js';
import { dropLeftBehind } from '../../helpers/database-ledger.js';
import { missingServices } from '../../helpers/global-setup.js';
import { TEST_POSTGRES_URL, TEST_REDIS_URL, uniqueName } from '../../helpers/services.js';

let client: pg.Client;
const dirs: string[] = [];
beforeAll(async () => {
  client = new pg.Client({ connectionString: TEST_POSTGRES_URL });
  await client.connect();
});
afterAll(async () => {
  await client.end();
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

async function databaseExists(name: string): Promise<boolean> {
  const { rowCount } = await client.query('select 1 from pg_database where datname = $1', [name]);
  return rowCount === 1;
}

describe('the suite cleans up only the databases it created', () => {
  it('drops what a dead test process listed and keeps a t_ database nobody listed', async () => {
    const ledgerDir = await mkdtemp(path.join(tmpdir(), 'co-ledger-'));
    dirs.push(ledgerDir);
    const listed = uniqueName('ledger_listed');
    const alreadyDropped = uniqueName('ledger_dropped');
    // Named like a test database, carrying a pid of a dead process: the old pattern-drop took it.
    const foreign = uniqueName('someone_elses');
    for (const name of [listed, foreign]) await client.query(`create database "${name}"`);
    try {
      const deadPid = spawnSync(process.execPath, ['-e', '0']).pid;
      expect(deadPid).toBeGreaterThan(0);
      await writeFile(
        path.join(ledgerDir, `${deadPid}.ledger`),
        `+${listed}\n+${alreadyDropped}\n-${alreadyDropped}\n`,
      );
      const dropped = await dropLeftBehind(client, ledgerDir);
      expect(dropped).toEqual([listed]);
      expect(await databaseExists(listed)).toBe(false);
      expect(await databaseExists(foreign)).toBe(true);
      // The ledger of the dead run is gone with its databases.
      expect(await dropLeftBehind(client, ledgerDir)).toEqual([]);
    } finally {
      await client.query(`drop database if exists "${foreign}"`);
      await client.query(`drop database if exists "${listed}"`);
    }
  });

  it('leaves a ledger alone while the process that wrote it is alive', async () => {
    const ledgerDir = await mkdtemp(path.join(tmpdir(), 'co-ledger-'));
    dirs.push(ledgerDir);
    const name = uniqueName('ledger_alive');
    await client.query(`create database "${name}"`);
    try {
      await writeFile(path.join(ledgerDir, `${process.pid}.ledger`), `+${name}\n`);
      expect(await dropLeftBehind(client, ledgerDir)).toEqual([]);
      expect(await databaseExists(name)).toBe(true);
    } finally {
      await client.query(`drop database if exists "${name}"`);
    }
  });
});

describe('npm test names what is missing and how to start it', () => {
  it('lists Postgres, Redis and chromium with their start commands', async () => {
    const [postgresPort, redisPort] = [await freePort(), await freePort()];
    const problems = await missingServices({
      postgresUrl: `postgres://postgres@127.0.0.1:${postgresPort}/postgres`,
      redisUrl: `redis://127.0.0.1:${redisPort}`,
      chromium: '/nonexistent/chromium',
    });
    expect(problems).toHaveLength(3);
    expect(problems[0]).toContain(
      `Postgres does not answer at postgres://postgres@127.0.0.1:${postgresPort}`,
    );
    expect(problems[0]).toContain('pg_ctlcluster --skip-systemctl-redirect');
    expect(problems[1]).toContain(`Redis does not answer at redis://127.0.0.1:${redisPort}`);
    expect(problems[1]).toContain('redis-server --daemonize yes');
    expect(problems[2]).toContain('apt-get install -y chromium');
  });

  it('says when the Postgres user may not create databases', async () => {
    const role = uniqueName('no_create');
    await client.query(`create role "${role}" login`);
    try {
      const url = new URL(TEST_POSTGRES_URL);
      url.username = role;
      const problems = await missingServices({
        postgresUrl: url.toString(),
        redisUrl: TEST_REDIS_URL,
        chromium: process.execPath,
      });
      expect(problems).toEqual([expect.stringContaining(`Postgres user ${role}`)]);
      expect(problems[0]).toContain('may not create databases');
    } finally {
      await client.query(`drop role "${role}"`);
    }
  });
});
