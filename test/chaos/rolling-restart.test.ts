import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../helpers/clients.js';
import { type Cluster, postTo, type ServerProcess, startCluster } from '../helpers/cluster.js';

/**
 * A rolling restart (each of three processes replaced in turn, the old one stopped with SIGTERM)
 * while calls are live and new ones are set up and hung up through a load balancer that retries a
 * refused connection elsewhere, as one does. Every answered request stands, no minute is skipped.
 */
const BILLING_INTERVAL_MS = 500;
let cluster: Cluster;
let sql: pg.Pool;

beforeAll(async () => {
  cluster = await startCluster('rolling', 3, {
    BILLING_INTERVAL_MS: String(BILLING_INTERVAL_MS),
    RING_TIMEOUT_MS: '20000',
    DISCONNECT_GRACE_MS: '600000',
    RATE_LIMIT_PER_MINUTE: '100000',
  });
  sql = new pg.Pool({ connectionString: cluster.databaseUrl, max: 3 });
}, 120_000);
afterAll(async () => {
  await sql?.end();
  await cluster?.close();
});

const running = (server: ServerProcess) =>
  server.ready && server.child.exitCode === null && server.child.signalCode === null;

const answers: { path: string; status: number }[] = [];

/** The load balancer: a process at random; a connection it refuses or drops unanswered is tried on another. */
async function send(path: string, body: Record<string, unknown>) {
  for (let attempt = 0; attempt < 20; attempt++) {
    const candidates = cluster.processes.filter(running);
    const server = candidates[Math.floor(Math.random() * candidates.length)];
    if (!server) break;
    try {
      const answer = await postTo(server, path, body);
      // A process that is closing answers 503 before it stops listening: the balancer moves on.
      if (answer.status === 503) continue;
      answers.push({ path, status: answer.status });
      return answer;
    } catch {}
  }
  throw new Error(`${path}: no process answered`);
}

async function createUser(body: Record<string, unknown>) {
  const server = cluster.processes.find(running)!;
  const response = await postTo(server, '/admin/api/users', body, {
    authorization: `Bearer ${cluster.adminToken}`,
  });
  return response.body as { userId: number; token: string };
}

async function minuteKeys(callId: number): Promise<string[]> {
  const { rows } = await sql.query(
    "select idempotency_key from ledger_transactions where reference = $1 and kind = 'call_minute'",
    [`call:${callId}`],
  );
  return rows.map((row: { idempotency_key: string }) => row.idempotency_key);
}

interface Pair {
  guest: { userId: number; token: string };
  anchor: { userId: number; token: string };
}

async function pair(): Promise<Pair> {
  return {
    guest: await createUser({ role: 'guest', diamond: 100_000 }),
    anchor: await createUser({ role: 'anchor', unitPrice: 10 }),
  };
}

async function goLive({ guest, anchor }: Pair): Promise<number> {
  const applied = await send('/app/live/callApplyGirl', { token: guest.token, targetUserId: anchor.userId });
  expect(applied.body).toMatchObject({ code: 0, state: 'ringing' });
  const accepted = await send('/weapp/live_room/create_room', { token: anchor.token, guestId: guest.userId });
  expect(accepted.body.code).toBe(0);
  const started = await send('/app/live/startCall', { token: anchor.token, targetUserId: guest.userId });
  expect(started.body).toMatchObject({ code: 0, state: 'live' });
  return applied.body.roomInstanceId as number;
}

async function hangUp({ guest, anchor }: Pair): Promise<void> {
  const hungUp = await send('/app/live/hangUpMan', { token: anchor.token, targetUserId: guest.userId });
  expect(hungUp.body).toMatchObject({ code: 0, state: 'ended' });
}

async function settled({ guest, anchor }: Pair, callId: number) {
  return eventually(async () => {
    const match = await send('/app/live/getMatchInfo', { token: anchor.token, targetUserId: guest.userId });
    return match.body.roomInstanceId === callId && match.body.state === 'settled' ? match.body : null;
  }, 20_000);
}

describe('a rolling restart under load', () => {
  it('drops no answered request and loses no billing tick', async () => {
    const longPairs = await Promise.all(Array.from({ length: 4 }, pair));
    const longCalls = await Promise.all(longPairs.map(goLive));
    const shortPairs = await Promise.all(Array.from({ length: 4 }, pair));

    let restarting = true;
    const shortCalls: { pair: Pair; callId: number }[] = [];
    // Short calls set up and hung up over and over, on whichever processes are up.
    const load = Promise.all(
      shortPairs.map(async (shortPair) => {
        while (restarting) {
          const callId = await goLive(shortPair);
          await hangUp(shortPair);
          await settled(shortPair, callId);
          shortCalls.push({ pair: shortPair, callId });
        }
      }),
    );

    const exitCodes: (number | null)[] = [];
    for (const old of [...cluster.processes]) {
      await cluster.spawn();
      exitCodes.push(await old.terminate());
    }
    const afterRestarts = await Promise.all(
      longCalls.map(async (callId) => (await minuteKeys(callId)).length),
    );
    restarting = false;
    await load;

    expect(exitCodes).toEqual([0, 0, 0]);
    expect(answers.filter((answer) => answer.status >= 500)).toEqual([]);
    expect(shortCalls.length).toBeGreaterThan(0);

    // The long calls bill on after the last old process is gone, then settle with every minute once.
    await eventually(async () => {
      const counts = await Promise.all(longCalls.map(async (callId) => (await minuteKeys(callId)).length));
      return counts.every((count, i) => count >= (afterRestarts[i] ?? 0) + 2);
    }, 20_000);
    for (const [i, callId] of longCalls.entries()) {
      const longPair = longPairs[i]!;
      await hangUp(longPair);
      expect(await settled(longPair, callId)).toMatchObject({ reason: 'hangup_anchor' });
    }
    for (const { callId } of [...shortCalls, ...longCalls.map((callId) => ({ callId }))]) {
      const keys = await minuteKeys(callId);
      const { rows } = await sql.query('select minutes from call_records where id = $1', [callId]);
      expect(rows[0]?.minutes).toBe(keys.length);
      expect(keys.sort()).toEqual(
        Array.from({ length: keys.length }, (_, n) => `call:${callId}:minute:${n + 1}`).sort(),
      );
    }
  }, 240_000);
});
