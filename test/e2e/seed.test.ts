import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/app.js';

const run = promisify(execFile);
let server: TestServer;
let dataDir: string;
beforeAll(async () => {
  server = await startTestServer('seed');
  dataDir = await mkdtemp(path.join(tmpdir(), 'co-seed-'));
});
afterAll(async () => {
  await server?.close();
  await rm(dataDir, { recursive: true, force: true });
});

async function seed(): Promise<string> {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', 'src/seed.ts'], {
    env: {
      PATH: process.env.PATH ?? '',
      SEED_URL: server.url,
      ADMIN_TOKEN: server.adminToken,
      DATA_DIR: dataDir,
    },
  });
  return stdout;
}

/** label → the rest of its line, e.g. `guest 1` → `userId=3 token=… diamond=1000 …`. */
function lines(output: string): Map<string, string> {
  return new Map(
    output
      .split('\n')
      .map((line) => line.match(/^(anchor|guest 1|guest 2|matchmaker|qlive guest|admin)\s+(.*)$/))
      .filter((match): match is RegExpMatchArray => match !== null)
      .map((match) => [match[1] ?? '', match[2] ?? '']),
  );
}

async function countOf(table: string): Promise<number> {
  const client = new pg.Client({ connectionString: server.databaseUrl });
  await client.connect();
  try {
    return Number((await client.query(`select count(*) from ${table}`)).rows[0].count);
  } finally {
    await client.end();
  }
}

describe('npm run seed', () => {
  it('prints the admin token, every token and balance, and makes nothing twice when run again', async () => {
    const first = lines(await seed());
    expect(first.get('admin')).toBe(`token=${server.adminToken}`);
    expect(first.get('guest 1')).toMatch(/^userId=\d+ token=\S+ .*diamond=1000/);
    expect(first.get('guest 2')).toMatch(/diamond=200.*gold=500|gold=500.*diamond=200/);
    expect(first.get('anchor')).toMatch(/^userId=\d+ token=\S+ /);
    expect(first.get('matchmaker')).toMatch(/^userId=\d+ token=\S+ /);
    // Signed up through the development WeChat, with its WeChat login code.
    expect(first.get('qlive guest')).toMatch(
      /^userId=\d+ token=\S+ .*\(WeChat login code dev:seed_qlive_guest\)/,
    );
    const users = await countOf('users');
    const gifts = await countOf('gifts');

    const second = lines(await seed());
    for (const label of ['anchor', 'guest 1', 'guest 2', 'matchmaker']) {
      expect(second.get(label)).toBe(`${first.get(label)} (existing)`);
    }
    expect(second.get('qlive guest')?.match(/userId=\d+/)?.[0]).toBe(
      first.get('qlive guest')?.match(/userId=\d+/)?.[0],
    );
    expect(await countOf('users')).toBe(users);
    expect(await countOf('gifts')).toBe(gifts);
  });
});
