import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DrivenCall, liveCall } from '../e2e/moderation/call-driver.js';
import { startTestServer, type TestServer } from '../helpers/app.js';
import { eventually } from '../helpers/clients.js';
import { currentRedisCluster, runOnRedisCluster } from '../helpers/redis-cluster.js';

runOnRedisCluster();

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer('cluster_restart', {
    BILLING_INTERVAL_MS: '400',
    DISCONNECT_GRACE_MS: '600000',
    RATE_LIMIT_PER_MINUTE: '100000',
  });
});
afterAll(() => server?.close());

async function minuteKeys(callId: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: server.databaseUrl });
  await client.connect();
  try {
    const rows = await client.query(
      "select idempotency_key from ledger_transactions where reference = $1 and idempotency_key like '%:minute:%'",
      [`call:${callId}`],
    );
    return rows.rows.map((row: { idempotency_key: string }) => row.idempotency_key);
  } finally {
    await client.end();
  }
}

const matchInfo = async (call: DrivenCall) =>
  (
    await server.request('POST', '/app/live/getMatchInfo', {
      body: { token: call.anchor.token, targetUserId: call.guest.userId },
    })
  ).body;

describe('a Redis Cluster master restarted mid-call', () => {
  it('loses no call and no minute: every call bills on without a gap and settles', async () => {
    const calls: DrivenCall[] = [];
    for (let i = 0; i < 8; i++) calls.push(await liveCall(server, 100_000));
    const cluster = currentRedisCluster();
    for (const index of [0, 1, 2]) {
      const before = await Promise.all(calls.map(async (call) => (await minuteKeys(call.callId)).length));
      await cluster.restartMaster(index);
      // Every call is still there, still live, and its minutes go on from where they were.
      await eventually(async () => {
        const after = await Promise.all(calls.map(async (call) => (await minuteKeys(call.callId)).length));
        return after.every((count, i) => count > (before[i] ?? 0) + 1);
      }, 20_000);
      for (const call of calls) expect((await matchInfo(call)).state).toBe('live');
    }

    for (const call of calls) {
      const hungUp = await server.request('POST', '/app/live/hangUpMan', {
        body: { token: call.anchor.token, targetUserId: call.guest.userId },
      });
      expect(hungUp.body.state).toBe('ended');
    }
    for (const call of calls) {
      const settled = await eventually(async () => {
        const match = await matchInfo(call);
        return match.state === 'settled' ? match : null;
      });
      expect(settled.reason).toBe('hangup_anchor');
      const keys = await minuteKeys(call.callId);
      expect(keys.sort()).toEqual(
        Array.from({ length: keys.length }, (_, i) => `call:${call.callId}:minute:${i + 1}`).sort(),
      );
    }
  }, 120_000);
});
