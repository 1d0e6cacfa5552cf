import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, redisAnswers } from '../../../src/redis/private-redis.js';
import { persistenceWarning, RedisBindingError } from '../../../src/redis/redis-binding.js';
import { startServer } from '../../../src/server.js';
import { startTestServer } from '../../helpers/app.js';
import { createEmptyDatabase } from '../../helpers/database.js';
import { TEST_REDIS_URL } from '../../helpers/services.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'co-binding-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

describe('a Redis prefix is bound to one database', () => {
  it('refuses to start a server of another database on a claimed prefix, naming both databases', async () => {
    const owner = await startTestServer('binding_owner');
    cleanups.push(() => owner.close());
    const other = await createEmptyDatabase('binding_other');
    cleanups.push(() => other.drop());

    const refused = await startServer({
      env: {
        PORT: '0',
        DATABASE_URL: other.url,
        REDIS_URL: TEST_REDIS_URL,
        REDIS_PREFIX: owner.redisPrefix,
        ADMIN_TOKEN: 'a'.repeat(32),
        DATA_DIR: await tempDir(),
        LOG_LEVEL: 'silent',
      },
      logger: false,
    }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refused).toBeInstanceOf(RedisBindingError);
    const message = (refused as Error).message;
    expect(message).toContain(
      `REDIS_PREFIX "${owner.redisPrefix}" at ${TEST_REDIS_URL} belongs to another database`,
    );
    const ownerName = new URL(owner.databaseUrl).pathname;
    expect(message).toContain(`that prefix serves: postgres://127.0.0.1:5432${ownerName}`);
    expect(message).toContain(`this server's database: postgres://127.0.0.1:5432/${other.name}`);
    // Credentials never appear in the message.
    expect(message).not.toMatch(/postgres:\/\/postgres@/);

    // The owner is untouched and a second process of its own database joins the prefix.
    expect((await owner.request('GET', '/healthz')).status).toBe(200);
    const sibling = await startTestServer('binding_owner', {}, owner);
    cleanups.push(() => sibling.close());
    expect((await sibling.request('GET', '/healthz')).status).toBe(200);
  });
});

describe('persistence of an external Redis', () => {
  async function ownRedis(args: string[]): Promise<Redis> {
    const port = await freePort();
    const child: ChildProcess = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--dir', await tempDir(), ...args],
      { stdio: 'ignore' },
    );
    cleanups.push(async () => {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    });
    const url = `redis://127.0.0.1:${port}`;
    while (!(await redisAnswers(url, 300))) await new Promise((resolve) => setTimeout(resolve, 50));
    const client = new Redis(url);
    cleanups.push(async () => client.disconnect());
    return client;
  }

  it('warns that everything live is lost when Redis keeps nothing on disk', async () => {
    const redis = await ownRedis(['--save', '', '--appendonly', 'no']);
    const warning = await persistenceWarning(redis, 'redis://example:6379');
    expect(warning).toContain('Redis at redis://example:6379 keeps nothing on disk');
    expect(warning).toContain('live calls and rooms');
    expect(warning).toContain('appendonly yes');
  });

  it('warns about changes since the last snapshot when Redis only takes RDB snapshots', async () => {
    const redis = await ownRedis(['--save', '900 1', '--appendonly', 'no']);
    expect(await persistenceWarning(redis, 'redis://example:6379')).toContain('only takes RDB snapshots');
  });

  it('says nothing when Redis appends every write', async () => {
    const redis = await ownRedis(['--save', '', '--appendonly', 'yes']);
    expect(await persistenceWarning(redis, 'redis://example:6379')).toBeUndefined();
  });
});
