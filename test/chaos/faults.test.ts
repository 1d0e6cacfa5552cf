import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/redis/private-redis.js';
import { startTestServer, type TestServer } from '../helpers/app.js';
import { eventually } from '../helpers/clients.js';
import { startOwnRedis, stopOwnRedis } from '../helpers/own-redis.js';

const BILLING_INTERVAL_MS = 600;

async function minuteKeys(databaseUrl: string, callId: number): Promise<string[]> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const rows = await client.query('select idempotency_key from ledger_transactions where reference = $1', [
      `call:${callId}`,
    ]);
    return rows.rows.map((row: { idempotency_key: string }) => row.idempotency_key);
  } finally {
    await client.end();
  }
}

const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
});

describe('faults', () => {
  it('a Redis restart mid-call: 503 envelopes while it is down, then the call and its billing go on', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'co-redis-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const port = await freePort();
    let redis = await startOwnRedis(port, dir);
    cleanups.push(() => stopOwnRedis(redis));
    const server: TestServer = await startTestServer('fault_redis', {
      REDIS_URL: `redis://127.0.0.1:${port}`,
      BILLING_INTERVAL_MS: String(BILLING_INTERVAL_MS),
      DISCONNECT_GRACE_MS: '60000',
    });
    cleanups.push(() => server.close());
    const guest = await server.createUser({ role: 'guest', diamond: 100_000 });
    const anchor = await server.createUser({ role: 'anchor', unitPrice: 10 });
    const post = (urlPath: string, body: Record<string, unknown>) =>
      server.request('POST', urlPath, { body });
    const applied = await post('/app/live/callApplyGirl', {
      token: guest.token,
      targetUserId: anchor.userId,
    });
    const callId = applied.body.roomInstanceId;
    await post('/app/live/startCall', { token: anchor.token, targetUserId: guest.userId });

    await stopOwnRedis(redis);
    const during = await post('/app/live/getMatchInfo', { token: anchor.token, targetUserId: guest.userId });
    expect(during.status).toBe(503);
    expect(during.body).toMatchObject({ code: 503, message: expect.any(String) });
    expect(during.headers.get('retry-after')).toBe('1');
    const health = await server.request('GET', '/healthz');
    expect(health).toMatchObject({ status: 503, body: { redis: 'down', postgres: 'up' } });
    await new Promise((resolve) => setTimeout(resolve, BILLING_INTERVAL_MS * 2));

    redis = await startOwnRedis(port, dir);
    const after = await eventually(async () => {
      const answer = await post('/app/live/getMatchInfo', {
        token: anchor.token,
        targetUserId: guest.userId,
      });
      return answer.status === 200 ? answer.body : null;
    }, 20_000);
    expect(after).toMatchObject({ roomInstanceId: callId, state: 'live' });
    // Billing catches up: minutes missed while Redis was down are charged, each once.
    await eventually(async () => (await minuteKeys(server.databaseUrl, callId)).length >= 5, 20_000);
    await post('/app/live/hangUpGirl', { token: guest.token, targetUserId: anchor.userId });
    const keys = await minuteKeys(server.databaseUrl, callId);
    expect(new Set(keys).size).toBe(keys.length);
    const minutes = keys.map((key) => Number(key.split(':').pop())).sort((a, b) => a - b);
    expect(minutes).toEqual(Array.from({ length: minutes.length }, (_, i) => i + 1));
  }, 90_000);

  it('Postgres connections cut: 503 envelopes, nothing half-written, then everything resumes', async () => {
    const server = await startTestServer('fault_postgres');
    cleanups.push(() => server.close());
    const guest = await server.createUser({ role: 'guest', diamond: 1000 });
    const databaseName = new URL(server.databaseUrl).pathname.slice(1);
    const admin = new pg.Client({
      connectionString: server.databaseUrl.replace(`/${databaseName}`, '/postgres'),
    });
    await admin.connect();
    cleanups.push(() => admin.end());
    const cut = () =>
      admin.query(
        'select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()',
        [databaseName],
      );

    await cut();
    // A connection killed under the pool: the next requests fail cleanly or succeed on a fresh connection.
    const answers = await Promise.all(
      Array.from({ length: 10 }, () =>
        server.request('POST', '/app/user/getCurrentUserInfo', { body: { token: guest.token } }),
      ),
    );
    for (const answer of answers) {
      expect([200, 503]).toContain(answer.status);
      if (answer.status === 503) expect(answer.body).toMatchObject({ code: 503 });
    }
    const recovered = await eventually(async () => {
      const answer = await server.request('POST', '/app/user/getCurrentUserInfo', {
        body: { token: guest.token },
      });
      return answer.status === 200 ? answer.body : null;
    });
    expect(recovered).toMatchObject({ code: 0, diamond: '1000' });

    // User creations (user row + grant + token in one transaction) cut mid-way, more times than the
    // pool has connections: nothing half-written remains, and no pool slot is lost for good.
    for (let round = 0; round < 12; round++) {
      await Promise.all([server.createUser({ role: 'guest', diamond: 5 }).catch(() => null), cut()]);
    }
    const afterCuts = await eventually(async () => {
      const answer = await server.request('POST', '/app/user/getCurrentUserInfo', {
        body: { token: guest.token },
      });
      return answer.status === 200 ? answer.body : null;
    });
    expect(afterCuts.diamond).toBe('1000');
    const own = new pg.Client({ connectionString: server.databaseUrl });
    await own.connect();
    try {
      const check = await own.query(
        `select (select count(*)::int from ledger_transactions t
                  where not exists (select 1 from ledger_entries e where e.transaction_id = t.id)) as empty_movements,
                (select count(*)::int from users u
                  where not exists (select 1 from api_tokens k where k.user_id = u.id)) as users_without_token`,
      );
      expect(check.rows[0]).toEqual({ empty_movements: 0, users_without_token: 0 });
    } finally {
      await own.end();
    }
  }, 60_000);
});
