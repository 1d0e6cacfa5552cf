/**
 * What one call setup costs Redis and Postgres, counted exactly: apply → the anchor's ring push →
 * create_room → startCall (first minute charged) → the guest's live push. The server runs on a
 * redis-server of this file's own, so `INFO` deltas are this server's commands and nobody else's;
 * Postgres statements are the server's own count (pg_statements_sent_total). A change that adds
 * commands or statements to call setup fails here, in CI, rather than in the next bench.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findOnPath, type PrivateRedis, startPrivateRedis } from '../../../src/redis/private-redis.js';
import { startTestServer, type TestServer } from '../../helpers/app.js';
import { connectClient, type TestClient } from '../../helpers/clients.js';
import { useTestRedisUrl } from '../../helpers/services.js';

/** Today's counts; lower them when a change makes setup cheaper, never raise them to make a change pass. */
const BUDGET = { redisCommands: 167, redisRoundTrips: 28, postgresStatements: 3 };

let redisDir: string;
let redis: PrivateRedis;
let stats: Redis;
let server: TestServer;
const clients: TestClient[] = [];

beforeAll(async () => {
  const binary = findOnPath('redis-server');
  if (!binary) throw new Error('redis-server must be installed');
  redisDir = await mkdtemp(path.join(tmpdir(), 'co-cost-'));
  redis = await startPrivateRedis(binary, redisDir);
  useTestRedisUrl(redis.url);
  stats = new Redis(redis.url);
  // Background work that would land in the counted window at random: off or far apart.
  server = await startTestServer('setup_cost', { RECONCILE_EVERY_MS: '3600000' });
});
afterAll(async () => {
  for (const client of clients) client.close();
  await server?.close();
  stats?.disconnect();
  useTestRedisUrl(null);
  await redis?.stop();
  await rm(redisDir, { recursive: true, force: true });
});

interface Counters {
  /** Every command Redis ran, those a script ran included (what INFO commandstats counts). */
  commands: number;
  byCommand: Record<string, number>;
  /** Reads Redis made from its clients' sockets: a pipeline or an auto-pipelined batch is one. */
  reads: number;
  statements: number;
}

async function counters(): Promise<Counters> {
  const info = await stats.info('all');
  let commands = 0;
  const byCommand: Record<string, number> = {};
  for (const match of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) {
    if (match[1] !== 'info') commands += Number(match[2]);
    byCommand[match[1]!] = Number(match[2]);
  }

  const reads = Number(info.match(/^total_reads_processed:(\d+)/m)?.[1]);
  const metrics = await server.request('GET', '/metrics');
  const statements = Number(String(metrics.body).match(/^pg_statements_sent_total (\d+)/m)?.[1]);
  return { commands, byCommand, reads, statements };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

describe('the cost of one call setup', () => {
  it('stays within its budget of Redis commands, Redis round trips and Postgres statements', async () => {
    const post = (route: string, body: Record<string, unknown>) => server.request('POST', route, { body });
    const measured: Counters[] = [];
    for (let round = 0; round < 6; round++) {
      const guest = await server.createUser({ role: 'guest', diamond: 10_000 });
      const anchor = await server.createUser({ role: 'anchor', unitPrice: 30 });
      const guestApp = await connectClient(server, guest.token);
      const anchorApp = await connectClient(server, anchor.token);
      clients.push(guestApp, anchorApp);

      const before = await counters();
      const applied = await post('/app/live/callApplyGirl', {
        token: guest.token,
        targetUserId: anchor.userId,
      });
      expect(applied.status).toBe(200);
      await anchorApp.next('call:update', (view) => view.state === 'ringing');
      expect(
        (await post('/weapp/live_room/create_room', { token: anchor.token, guestId: guest.userId })).status,
      ).toBe(200);
      expect(
        (await post('/app/live/startCall', { token: anchor.token, targetUserId: guest.userId })).status,
      ).toBe(200);
      await guestApp.next('call:update', (view) => view.state === 'live');
      const after = await counters();
      // Each INFO is one command and one read of its own; the first lands inside the window.
      measured.push({
        commands: after.commands - before.commands,
        byCommand: Object.fromEntries(
          Object.entries(after.byCommand)
            .map(([name, calls]) => [name, calls - (before.byCommand[name] ?? 0)] as const)
            .filter(([name, calls]) => calls > 0 && name !== 'info'),
        ),
        reads: after.reads - before.reads - 1,
        statements: after.statements - before.statements,
      });

      await post('/app/live/hangUpGirl', { token: guest.token, targetUserId: anchor.userId });
      await guestApp.next('call:update', (view) => view.state === 'settled');
    }
    // The first round warms prepared statements and caches a running server already has.
    const steady = measured.slice(1);
    const cost = {
      redisCommands: median(steady.map((m) => m.commands)),
      redisRoundTrips: median(steady.map((m) => m.reads)),
      postgresStatements: median(steady.map((m) => m.statements)),
    };
    const detail = JSON.stringify({ cost, lastRound: measured.at(-1) });
    // The figures go in the README's Performance section; printed so a run shows them.
    console.info(`call setup cost: ${JSON.stringify(cost)} (budget ${JSON.stringify(BUDGET)})`);
    expect(cost.redisCommands, detail).toBeLessThanOrEqual(BUDGET.redisCommands);
    expect(cost.redisRoundTrips, detail).toBeLessThanOrEqual(BUDGET.redisRoundTrips);
    expect(cost.postgresStatements, detail).toBeLessThanOrEqual(BUDGET.postgresStatements);
  });
});
