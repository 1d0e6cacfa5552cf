import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/redis/private-redis.js';
import { deleteKeysWithPrefix } from '../helpers/redis.js';
import { TEST_REDIS_URL, uniqueName } from '../helpers/services.js';

const children: ChildProcess[] = [];
const dirs: string[] = [];
afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

/** Runs `src/server.ts` as `npm start` does, with only the variables given (no DATABASE_URL). */
function runServer(env: Record<string, string>): { child: ChildProcess; output: () => string } {
  let output = '';
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    output += chunk;
  });
  children.push(child);
  return { child, output: () => output };
}

/** Polls /healthz until it answers 200 or the time is up; answers the last status (0: no answer). */
async function healthStatusWithin(port: number, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let status = 0;
  while (Date.now() < deadline && status !== 200) {
    status = await fetch(`http://127.0.0.1:${port}/healthz`).then(
      (response) => response.status,
      () => 0,
    );
    if (status !== 200) await new Promise((resolve) => setTimeout(resolve, 300));
  }
  return status;
}

async function terminate(child: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

describe('npm start on a fresh machine', () => {
  it('boots on embedded PGlite with no DATABASE_URL and serves /healthz 200', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'co-boot-'));
    dirs.push(dataDir);
    const port = await freePort();
    const prefix = `${uniqueName('boot')}:`;
    const { child, output } = runServer({
      PORT: String(port),
      DATA_DIR: dataDir,
      REDIS_URL: TEST_REDIS_URL,
      REDIS_PREFIX: prefix,
    });
    try {
      const status = await healthStatusWithin(port, 90_000);
      expect(status, output()).toBe(200);
      expect(output()).toContain('embedded PGlite');
      expect(output()).toMatch(/admin token: \S{16,}/);
      expect(output()).toContain('development values');
    } finally {
      await terminate(child);
      await deleteKeysWithPrefix(prefix);
    }
    expect(child.exitCode).toBe(0);
  }, 120_000);

  it('starts a private redis-server when nothing answers at REDIS_URL and one is installed', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'co-boot-'));
    dirs.push(dataDir);
    const [port, silentPort] = [await freePort(), await freePort()];
    const { child, output } = runServer({
      PORT: String(port),
      DATA_DIR: dataDir,
      REDIS_URL: `redis://127.0.0.1:${silentPort}`,
    });
    try {
      const status = await healthStatusWithin(port, 90_000);
      expect(status, output()).toBe(200);
      expect(output()).toContain('starting a private redis-server');
    } finally {
      await terminate(child);
    }
  }, 120_000);

  it('exits with a clear message when a variable is bad', async () => {
    const { child, output } = runServer({ PORT: 'eighty', RING_TIMEOUT_MS: '-1' });
    const code = await new Promise((resolve) => child.once('exit', resolve));
    expect(code).toBe(1);
    expect(output()).toContain('Invalid configuration');
    expect(output()).toContain('PORT must be integer (got "eighty")');
    expect(output()).toContain('RING_TIMEOUT_MS must be >= 1');
  }, 60_000);

  it('says how to get Redis when nothing answers and redis-server is not installed', async () => {
    const port = await freePort();
    const { child, output } = runServer({ REDIS_URL: `redis://127.0.0.1:${port}`, PATH: '/nonexistent' });
    const code = await new Promise((resolve) => child.once('exit', resolve));
    expect(code).toBe(1);
    expect(output()).toContain('redis-server is not installed');
    expect(output()).toContain('REDIS_URL');
  }, 60_000);
});
