import type { ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/redis/private-redis.js';
import { deleteKeysWithPrefix } from '../helpers/redis.js';
import {
  crash,
  exitCode,
  healthStatusWithin,
  isAlive,
  runServerProcess,
  terminate,
} from '../helpers/server-process.js';
import { TEST_REDIS_URL, uniqueName } from '../helpers/services.js';

const children: ChildProcess[] = [];
const dirs: string[] = [];
afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

function runServer(env: Record<string, string>) {
  const started = runServerProcess(env);
  children.push(started.child);
  return started;
}

async function dataDir(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'co-boot-'));
  dirs.push(dir);
  return dir;
}

describe('npm start on a fresh machine', () => {
  it('boots on embedded PGlite with no DATABASE_URL and serves /healthz 200', async () => {
    const port = await freePort();
    const prefix = `${uniqueName('boot')}:`;
    const { child, output } = runServer({
      PORT: String(port),
      DATA_DIR: await dataDir(),
      REDIS_URL: TEST_REDIS_URL,
      REDIS_PREFIX: prefix,
    });
    try {
      const status = await healthStatusWithin(port, 90_000);
      expect(status, output()).toBe(200);
      expect(output()).toContain('embedded PGlite');
      expect(output()).toContain('a first start creates it');
      expect(output()).toMatch(/admin token: \S{16,}/);
      expect(output()).toContain('development values');
      // The boot log names the Redis in use, its prefix and that it is not the private one.
      expect(output()).toContain(
        `redis: ${TEST_REDIS_URL} (external), prefix ${prefix}, claimed for this database`,
      );
    } finally {
      expect(await terminate(child)).toBe(0);
      await deleteKeysWithPrefix(prefix);
    }
  }, 120_000);

  it('with REDIS_URL unset runs a private redis-server in DATA_DIR, takes it over after a kill -9 and stops it on exit', async () => {
    const dir = await dataDir();
    const port = await freePort();
    const env = { PORT: String(port), DATA_DIR: dir, LOG_LEVEL: 'warn' };
    const first = runServer(env);
    expect(await healthStatusWithin(port, 90_000), first.output()).toBe(200);
    expect(first.output()).toContain(`using the private redis-server`);
    expect(first.output()).toMatch(
      /redis: redis:\/\/127\.0\.0\.1:\d+ \(private redis-server, pid \d+, AOF everysec\), prefix co:/,
    );
    const redisPid = Number(await readFile(path.join(dir, 'redis', 'redis.pid'), 'utf8'));
    const redisPort = Number(await readFile(path.join(dir, 'redis', 'port'), 'utf8'));
    expect(isAlive(redisPid)).toBe(true);

    await crash(first.child);
    // The crashed server's Redis still runs; the next start takes it over instead of starting a second.
    expect(isAlive(redisPid)).toBe(true);
    const second = runServer(env);
    expect(await healthStatusWithin(port, 90_000), second.output()).toBe(200);
    expect(second.output()).toContain(`reusing the private redis-server (pid ${redisPid})`);
    expect(second.output()).toContain(
      `redis: redis://127.0.0.1:${redisPort} (private redis-server, pid ${redisPid}, reused`,
    );
    expect(await terminate(second.child)).toBe(0);
    expect(isAlive(redisPid)).toBe(false);
  }, 180_000);

  it('exits with a clear message when a variable is bad', async () => {
    const { child, output } = runServer({ PORT: 'eighty', RING_TIMEOUT_MS: '-1' });
    expect(await exitCode(child)).toBe(1);
    expect(output()).toContain('Invalid configuration');
    expect(output()).toContain('PORT must be integer (got "eighty")');
    expect(output()).toContain('RING_TIMEOUT_MS must be >= 1');
  }, 60_000);

  it('refuses a REDIS_URL that does not answer, saying how to get Redis', async () => {
    const port = await freePort();
    const { child, output } = runServer({
      REDIS_URL: `redis://127.0.0.1:${port}`,
      DATA_DIR: await dataDir(),
    });
    expect(await exitCode(child)).toBe(1);
    expect(output()).toContain(`Nothing answers at REDIS_URL=redis://127.0.0.1:${port}`);
    expect(output()).toContain('unset REDIS_URL');
  }, 60_000);
});
