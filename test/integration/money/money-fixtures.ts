import pg from 'pg';
import { expect } from 'vitest';
import { startTestServer, type TestServer } from '../../helpers/app.js';

/** A plain pg client on a test server's database, for the ledger audits (closed by the caller). */
export async function sqlClient(databaseUrl: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  return client;
}

export interface MoneyServer {
  server: TestServer;
  /** A plain client on the server's database, for the audits. */
  db: pg.Client;
}

/** The server a money test file runs against, with a SQL client on its database. */
export async function openMoneyServer(label: string, env: Record<string, string> = {}): Promise<MoneyServer> {
  const server = await startTestServer(label, env);
  return { server, db: await sqlClient(server.databaseUrl) };
}

/** Every money invariant must still hold when a money test file is done; then both are closed. */
export async function closeMoneyServer({ server, db }: MoneyServer): Promise<void> {
  try {
    expect(await auditMoney(db)).toEqual([]);
  } finally {
    await db.end();
    await server.close();
  }
}

export const post = (server: TestServer, path: string, body: Record<string, unknown>) =>
  server.request('POST', path, { body });

/** A guest and an anchor; the guest's diamonds and the anchor's price in points as given. */
export async function pairOf(
  server: TestServer,
  options: { diamond?: number; unitPrice?: number; guestName?: string; anchorName?: string } = {},
) {
  const guest = await server.createUser({
    role: 'guest',
    nickname: options.guestName ?? 'Dawei',
    age: 31,
    headImg: 'https://img.example/dawei.png',
    diamond: options.diamond ?? 1000,
  });
  const anchor = await server.createUser({
    role: 'anchor',
    nickname: options.anchorName ?? 'Xiaomei',
    age: 24,
    headImg: 'https://img.example/xiaomei.png',
    unitPrice: options.unitPrice ?? 30,
  });
  return { guest, anchor };
}

/** Guest calls, anchor accepts and starts: answers the roomInstanceId of the live call. */
export async function liveCall(
  server: TestServer,
  guest: { token: string; userId: number },
  anchor: { token: string; userId: number },
): Promise<number> {
  const applied = await post(server, '/app/live/callApplyGirl', {
    token: guest.token,
    targetUserId: anchor.userId,
  });
  if (applied.status !== 200) throw new Error(`apply failed: ${JSON.stringify(applied.body)}`);
  const started = await post(server, '/app/live/startCall', {
    token: anchor.token,
    targetUserId: guest.userId,
  });
  if (started.body.state !== 'live') throw new Error(`start failed: ${JSON.stringify(started.body)}`);
  return applied.body.roomInstanceId;
}

export async function balance(client: pg.Client, userId: number, currency: string): Promise<number> {
  const { rows } = await client.query('select balance from accounts where user_id = $1 and currency = $2', [
    userId,
    currency,
  ]);
  return Number(rows[0]?.balance ?? 0);
}

/** The minute numbers charged for a call, in order (a minute charged twice would show twice). */
export async function chargedMinutes(client: pg.Client, callId: number | string): Promise<number[]> {
  const { rows } = await client.query(
    `select (metadata->>'minute')::int as minute from ledger_transactions
      where reference = $1 and kind = 'call_minute' order by 1`,
    [`call:${callId}`],
  );
  return rows.map((row: { minute: number }) => row.minute);
}

/** Limits an audit to one part of the data (the users, calls and transactions of one test run). */
export interface AuditScope {
  userIds: number[];
  callIds: number[];
  /** Only transactions with a larger id are checked for balance. */
  sinceTransactionId: number;
}

/**
 * Every money invariant, checked in the database; answers the violations (empty when all hold):
 * no user balance below zero; each transaction's entries sum to zero per currency; each account's
 * balance equals the sum of its entries; every currency sums to zero over all accounts (money only
 * enters from the platform's source accounts); each call minute charged once, at the call's price;
 * every call record equals its ledger charges, and a call that never went live charged nothing.
 * With a scope, the checks that scan whole tables look at that part only.
 */
export async function auditMoney(client: pg.Client, scope?: AuditScope): Promise<string[]> {
  // :users user ids, :calls call ids, :since first transaction id (null / 0: everything).
  const inUsers = '(:users::bigint[] is null or a.user_id = any(:users))';
  const inCalls = '(:calls::text[] is null or r.id::text = any(:calls))';
  const checks: [string, string][] = [
    [
      'user balance below zero',
      'select id, user_id, currency, balance from accounts where user_id is not null and balance < 0',
    ],
    [
      'transaction not balanced',
      `select transaction_id, currency, sum(amount) from ledger_entries where transaction_id > :since
        group by transaction_id, currency having sum(amount) <> 0`,
    ],
    [
      'balance differs from its entries',
      `select a.id, a.balance, coalesce(sum(e.amount), 0) as entries
         from accounts a left join ledger_entries e on e.account_id = a.id
        where ${inUsers} and (:users::bigint[] is null or a.user_id is not null)
        group by a.id having a.balance <> coalesce(sum(e.amount), 0)`,
    ],
    [
      'currency does not sum to zero',
      'select currency, sum(balance) from accounts group by currency having sum(balance) <> 0',
    ],
    [
      'call minute charged twice',
      `select reference, metadata->>'minute', count(*) from ledger_transactions
        where kind = 'call_minute' and id > :since group by 1, 2 having count(*) > 1`,
    ],
    [
      'call minute at the wrong price',
      `select t.idempotency_key from call_records r
         join ledger_transactions t on t.reference = 'call:' || r.id
         join ledger_entries e on e.transaction_id = t.id
        where ${inCalls} and t.kind = 'call_minute' and e.amount > 0
          and e.amount <> case e.currency when 'diamond' then r.unit_price_diamonds else r.unit_price_points end`,
    ],
    [
      'record differs from its charges',
      `select r.id, r.minutes, r.diamonds, r.points, c.minutes as charged_minutes,
              c.diamonds as charged_diamonds, c.points as charged_points
         from call_records r
         left join lateral (
           select count(distinct t.id) as minutes,
                  coalesce(sum(e.amount) filter (where e.currency = 'diamond' and e.amount > 0), 0) as diamonds,
                  coalesce(sum(e.amount) filter (where e.currency = 'point' and e.amount > 0), 0) as points
             from ledger_transactions t join ledger_entries e on e.transaction_id = t.id
            where t.reference = 'call:' || r.id and t.kind = 'call_minute') c on true
        where ${inCalls}
          and (r.minutes <> c.minutes or r.diamonds <> c.diamonds or r.points <> c.points
               or (r.minutes > 0) <> (r.status = 2))`,
    ],
    [
      'charged a call that never went live',
      `select r.id from call_records r where ${inCalls} and r.started_at is null and r.minutes > 0`,
    ],
  ];
  const values = {
    users: scope?.userIds ?? null,
    calls: scope?.callIds.map(String) ?? null,
    since: scope?.sinceTransactionId ?? 0,
  };
  const violations: string[] = [];
  for (const [name, named] of checks) {
    // Named placeholders to pg's numbered ones, in order of first use.
    const order: (keyof typeof values)[] = [];
    const query = named.replace(/:(users|calls|since)\b/g, (_, key: keyof typeof values) => {
      if (!order.includes(key)) order.push(key);
      return `$${order.indexOf(key) + 1}`;
    });
    const { rows } = await client.query(
      query,
      order.map((key) => values[key]),
    );
    if (rows.length > 0) violations.push(`${name}: ${JSON.stringify(rows.slice(0, 5))}`);
  }
  return violations;
}

/** Delivers a billing tick as its BullMQ job would (tests that fire the jobs themselves). */
export const sendTick = (server: TestServer, callId: number, minute: number) =>
  server.context.runtime.send('call', String(callId), { type: 'TICK', minute }, { actor: 'timer' });
