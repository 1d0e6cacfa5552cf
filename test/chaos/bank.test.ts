import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../helpers/clients.js';
import { type Cluster, postTo, type ServerProcess, startCluster } from '../helpers/cluster.js';

/**
 * The bank test: calls, minutes, gifts and grants hammered across three server processes while
 * processes are SIGKILLed and replaced; afterwards, read in one snapshot, the money adds up.
 * BANK_SECONDS sets how long the storm lasts (short in `npm test`, longer in `npm run test:chaos`).
 */
const STORM_MS = Number(process.env.BANK_SECONDS ?? 12) * 1000;
const KILL_EVERY_MS = 3_000;
const PAIRS = 8;
let cluster: Cluster;

beforeAll(async () => {
  cluster = await startCluster('bank', 3, {
    BILLING_INTERVAL_MS: '300',
    RING_TIMEOUT_MS: '3000',
    DISCONNECT_GRACE_MS: '600000',
    RATE_LIMIT_PER_MINUTE: '100000',
  });
}, 120_000);
afterAll(() => cluster?.close());

const alive = () =>
  cluster.processes.filter(
    (server) => server.ready && server.child.exitCode === null && server.child.signalCode === null,
  );
const anyAlive = (): ServerProcess => {
  const candidates = alive();
  return candidates[Math.floor(Math.random() * candidates.length)]!;
};
const admin = () => ({ authorization: `Bearer ${cluster.adminToken}` });

/** A request that may land on a process being killed: a connection error is an outcome, not a failure. */
async function attempt(path: string, body: Record<string, unknown>, headers: Record<string, string> = {}) {
  try {
    return await postTo(anyAlive(), path, body, headers);
  } catch {
    return { status: 0, body: null };
  }
}

describe('money under fire', () => {
  it('keeps every account consistent through concurrent calls, gifts, grants and process kills', async () => {
    const grants = { diamond: 0 };
    const counts = {
      operations: 0,
      rejected: 0,
      connectionErrors: 0,
      kills: 0,
      invariantChecks: 0,
      grantRetries: 0,
    };
    const guests: { userId: number; token: string }[] = [];
    const anchors: { userId: number; token: string }[] = [];
    for (let i = 0; i < PAIRS; i++) {
      guests.push(
        (await postTo(cluster.processes[0]!, '/admin/api/users', { role: 'guest', diamond: 3000 }, admin()))
          .body,
      );
      anchors.push(
        (await postTo(cluster.processes[0]!, '/admin/api/users', { role: 'anchor', unitPrice: 10 }, admin()))
          .body,
      );
      grants.diamond += 3000;
    }
    const gift = (
      await postTo(cluster.processes[0]!, '/admin/api/gifts', { name: 'rose', imgUrl: '', cost: 7 }, admin())
    ).body.giftId as number;

    const deadline = Date.now() + STORM_MS;
    const replacements: Promise<unknown>[] = [];
    const chaos = (async () => {
      while (Date.now() + KILL_EVERY_MS < deadline) {
        await new Promise((resolve) => setTimeout(resolve, KILL_EVERY_MS));
        const victim = alive()[Math.floor(Math.random() * alive().length)];
        if (!victim || alive().length < 2) continue;
        await victim.kill();
        counts.kills++;
        // The replacement boots while the storm goes on, as a supervisor would restart it.
        replacements.push(cluster.spawn());
      }
    })();

    const worker = async (index: number) => {
      const guest = guests[index]!;
      const anchor = anchors[index]!;
      while (Date.now() < deadline) {
        const roll = Math.random();
        let answer: { status: number };
        if (roll < 0.3) {
          answer = await attempt('/app/live/callApplyGirl', {
            token: guest.token,
            targetUserId: anchor.userId,
          });
          if (answer.status === 200)
            await attempt('/app/live/startCall', { token: anchor.token, targetUserId: guest.userId });
        } else if (roll < 0.5) {
          answer = await attempt('/app/live/hangUpGirl', { token: guest.token, targetUserId: anchor.userId });
        } else if (roll < 0.8) {
          // A gift retried with the same request id (a client that did not hear the answer) is paid once.
          const requestId = randomUUID();
          answer = await attempt('/app/live/sendGift', { token: guest.token, giftId: gift, requestId });
          if (Math.random() < 0.3)
            await attempt('/app/live/sendGift', { token: guest.token, giftId: gift, requestId });
        } else {
          // A grant retried until one process answers: the key makes the retries credit once.
          const key = randomUUID();
          let granted = false;
          for (let tries = 0; tries < 20 && !granted; tries++) {
            const result = await attempt(
              `/admin/api/users/${guest.userId}/grants`,
              { currency: 'diamond', amount: 50, key },
              admin(),
            );
            granted = result.status === 200 || result.status === 201;
            if (!granted) counts.grantRetries++;
          }
          if (granted) grants.diamond += 50;
          answer = { status: granted ? 201 : 0 };
        }
        counts.operations++;
        // A client pauses between taps; it also leaves the two cores room to boot replacements.
        await new Promise((resolve) => setTimeout(resolve, 15));
        if (answer.status === 0) counts.connectionErrors++;
        else if (answer.status >= 400) counts.rejected++;
        expect(answer.status === 0 || answer.status < 500 || answer.status === 503).toBe(true);
      }
    };
    await Promise.all([...guests.map((_, index) => worker(index)), chaos]);
    await Promise.all(replacements);

    // Wind down: every call hung up and settled, on whichever processes are left.
    for (let i = 0; i < PAIRS; i++) {
      await eventually(async () => {
        const answer = await attempt('/app/live/hangUpGirl', {
          token: guests[i]!.token,
          targetUserId: anchors[i]!.userId,
        });
        return answer.status === 200 || answer.status === 409;
      }, 20_000);
    }
    const client = new pg.Client({ connectionString: cluster.databaseUrl });
    await client.connect();
    try {
      await eventually(async () => {
        const open = await client.query(
          `select count(*)::int as n from (select distinct reference from ledger_transactions where kind = 'call_minute') c
            where not exists (select 1 from call_records r where 'call:' || r.id = c.reference)`,
        );
        return open.rows[0].n === 0;
      }, 60_000);

      await client.query('begin isolation level repeatable read');
      const sums = await client.query(
        'select currency, sum(balance)::bigint as total from accounts group by currency',
      );
      for (const row of sums.rows) expect(Number(row.total), `${row.currency} sums to zero`).toBe(0);
      counts.invariantChecks++;
      const negative = await client.query(
        'select count(*)::int as n from accounts where user_id is not null and balance < 0',
      );
      expect(negative.rows[0].n).toBe(0);
      counts.invariantChecks++;
      const granted = await client.query(
        "select -balance as granted from accounts where platform = 'admin_grants' and currency = 'diamond'",
      );
      expect(Number(granted.rows[0].granted)).toBe(grants.diamond);
      counts.invariantChecks++;
      const heldByUsersAndRevenue = await client.query(
        `select sum(balance)::bigint as total from accounts
          where currency = 'diamond' and (user_id is not null or platform = 'revenue')`,
      );
      expect(Number(heldByUsersAndRevenue.rows[0].total)).toBe(grants.diamond);
      counts.invariantChecks++;
      const minutes = await client.query(
        `select reference, array_agg((metadata->>'minute')::int order by (metadata->>'minute')::int) as minutes
           from ledger_transactions where kind = 'call_minute' group by reference`,
      );
      for (const row of minutes.rows as { reference: string; minutes: number[] }[]) {
        expect(row.minutes, row.reference).toEqual(row.minutes.map((_, i) => i + 1));
      }
      counts.invariantChecks++;
      const mismatched = await client.query(
        `select r.id from call_records r
           left join lateral (
             select count(distinct t.id)::int as minutes,
                    coalesce(sum(e.amount) filter (where e.currency = 'diamond' and e.amount > 0), 0)::bigint as diamonds,
                    coalesce(sum(e.amount) filter (where e.currency = 'point' and e.amount > 0), 0)::bigint as points
               from ledger_transactions t join ledger_entries e on e.transaction_id = t.id
              where t.reference = 'call:' || r.id and t.kind = 'call_minute') l on true
          where r.minutes <> l.minutes or r.diamonds <> l.diamonds or r.points <> l.points`,
      );
      expect(mismatched.rows).toEqual([]);
      counts.invariantChecks++;
      const settled = await client.query(
        'select count(*)::int as calls, coalesce(sum(minutes), 0)::int as minutes from call_records',
      );
      await client.query('commit');
      console.log(
        `bank: ${counts.operations} operations (${counts.rejected} rejected, ${counts.connectionErrors} hit a dying process), ` +
          `${counts.kills} kills, ${settled.rows[0].calls} calls / ${settled.rows[0].minutes} minutes settled, ` +
          `${counts.invariantChecks} invariant checks passed`,
      );
      expect(counts.kills).toBeGreaterThan(0);
    } finally {
      await client.end();
    }
  }, 240_000);
});
