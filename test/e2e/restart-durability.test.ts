import type { ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/redis/private-redis.js';
import { eventually } from '../helpers/clients.js';
import { createEmptyDatabase } from '../helpers/database.js';
import {
  crash,
  healthStatusWithin,
  isAlive,
  runServerProcess,
  terminate,
} from '../helpers/server-process.js';

const BILLING_INTERVAL_MS = 1_500;
const ADMIN_TOKEN = 'restart-durability-admin-token';
const children: ChildProcess[] = [];
const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
});

describe('npm start restarted after a crash of the server and its private Redis', () => {
  it('finds the live call where it was, its billing ticks go on, and it settles', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'co-restart-'));
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
    const database = await createEmptyDatabase('restart_durability');
    cleanups.push(() => database.drop());
    const port = await freePort();
    // No REDIS_URL: the private redis-server in DATA_DIR, as with `npm start`.
    const env = {
      PORT: String(port),
      DATA_DIR: dataDir,
      DATABASE_URL: database.url,
      ADMIN_TOKEN,
      BILLING_INTERVAL_MS: String(BILLING_INTERVAL_MS),
      DISCONNECT_GRACE_MS: '600000',
      LOG_LEVEL: 'warn',
    };
    const start = async () => {
      const server = runServerProcess(env);
      children.push(server.child);
      expect(await healthStatusWithin(port, 90_000), server.output()).toBe(200);
      return server;
    };
    const base = `http://127.0.0.1:${port}`;
    const post = async (urlPath: string, body: unknown, token?: string) => {
      const response = await fetch(`${base}${urlPath}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        body: JSON.stringify(body),
      });
      // biome-ignore lint/suspicious/noExplicitAny: the test reads the apps' JSON
      return (await response.json()) as any;
    };
    const diamonds = async (token: string) =>
      Number((await post('/app/user/getCurrentUserInfo', { token })).diamond);

    let server = await start();
    const guest = await post('/admin/api/users', { role: 'guest', diamond: 10_000 }, ADMIN_TOKEN);
    const anchor = await post('/admin/api/users', { role: 'anchor', unitPrice: 10 }, ADMIN_TOKEN);
    const applied = await post('/app/live/callApplyGirl', {
      token: guest.token,
      targetUserId: anchor.userId,
    });
    const callId = applied.roomInstanceId;
    const started = await post('/app/live/startCall', { token: anchor.token, targetUserId: guest.userId });
    expect(started).toMatchObject({ code: 0, state: 'live', roomInstanceId: callId });
    // 10 points a minute cost 20 diamonds; the first minute is charged at the start.
    await eventually(async () => (await diamonds(guest.token)) <= 10_000 - 20);

    const redisPid = Number(await readFile(path.join(dataDir, 'redis', 'redis.pid'), 'utf8'));
    await crash(server.child);
    process.kill(redisPid, 'SIGKILL');
    await eventually(async () => !isAlive(redisPid));
    const beforeRestart = await (async () => {
      server = await start();
      return diamonds(guest.token);
    })();
    expect(server.output()).not.toContain('reusing');

    // The call's machine came back from the AOF: it is still live and its delayed ticks fire.
    const match = await post('/app/live/getMatchInfo', { token: anchor.token, targetUserId: guest.userId });
    expect(match).toMatchObject({ code: 0, roomInstanceId: callId, matchStatus: 1 });
    await eventually(async () => (await diamonds(guest.token)) < beforeRestart, 20_000);

    const hungUp = await post('/app/live/hangUpGirl', { token: guest.token, targetUserId: anchor.userId });
    expect(hungUp).toMatchObject({ code: 0, roomInstanceId: callId, state: 'ended', reason: 'hangup_guest' });
    // Settled by whole minutes: what the guest paid is a multiple of the minute price.
    const paid = 10_000 - (await diamonds(guest.token));
    expect(paid % 20).toBe(0);
    expect(paid).toBeGreaterThanOrEqual(40);
    expect(await terminate(server.child)).toBe(0);
  }, 240_000);
});
