import { createHash } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../helpers/app.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer('admin_api');
});
afterAll(() => server.close());

const asAdmin = () => ({ authorization: `Bearer ${server.adminToken}` });

describe('admin API', () => {
  it('rejects a missing or wrong admin token with 401 and creates nothing', async () => {
    for (const headers of [
      {} as Record<string, string>,
      { authorization: 'Bearer wrong-token-wrong-token' },
      { authorization: server.adminToken },
    ]) {
      const response = await server.request('POST', '/admin/api/users', { body: { role: 'guest' }, headers });
      expect(response.status).toBe(401);
      expect(response.body).toEqual({ error: 'unauthorized', message: 'admin token required' });
    }
    const gift = await server.request('POST', '/admin/api/gifts', {
      body: { name: 'x', imgUrl: '', cost: 1 },
    });
    expect(gift.status).toBe(401);
  });

  it('creates a user whose token works and whose starting balances went through the ledger', async () => {
    const { userId, token } = await server.createUser({
      role: 'guest',
      nickname: 'Wang',
      age: 30,
      diamond: 300,
    });
    expect(token).toMatch(/^[0-9a-f]{40}$/);
    const info = await server.request('POST', '/app/user/getCurrentUserInfo', { body: { token } });
    expect(info.body.diamond).toBe('300');

    const client = new pg.Client({ connectionString: server.databaseUrl });
    await client.connect();
    try {
      const entries = await client.query(
        `select t.kind, t.idempotency_key, e.amount, a.user_id, a.platform
           from ledger_entries e join ledger_transactions t on t.id = e.transaction_id
           join accounts a on a.id = e.account_id
          where t.reference = $1 order by e.amount`,
        [`user:${userId}`],
      );
      expect(entries.rows).toEqual([
        {
          kind: 'admin_grant',
          idempotency_key: `grant:user:${userId}:initial:diamond`,
          amount: '-300',
          user_id: null,
          platform: 'admin_grants',
        },
        {
          kind: 'admin_grant',
          idempotency_key: `grant:user:${userId}:initial:diamond`,
          amount: '300',
          user_id: String(userId),
          platform: null,
        },
      ]);
    } finally {
      await client.end();
    }
  });

  it('stores tokens only as SHA-256 hashes, never in plain text', async () => {
    const { token } = await server.createUser({ role: 'anchor' });
    const client = new pg.Client({ connectionString: server.databaseUrl });
    await client.connect();
    try {
      const rows = await client.query('select * from api_tokens');
      const dump = JSON.stringify(rows.rows);
      expect(dump).not.toContain(token);
      const hashes = rows.rows.map((row: { token_hash: string }) => row.token_hash);
      expect(hashes).toContain(createHash('sha256').update(token).digest('hex'));
    } finally {
      await client.end();
    }
  });

  it('validates the body: an unknown role or a negative balance is a 400 naming the field', async () => {
    const role = await server.request('POST', '/admin/api/users', {
      body: { role: 'boss' },
      headers: asAdmin(),
    });
    expect(role.status).toBe(400);
    expect(role.body).toMatchObject({ error: 'bad_request', field: 'role' });
    const balance = await server.request('POST', '/admin/api/users', {
      body: { role: 'guest', diamond: -5 },
      headers: asAdmin(),
    });
    expect(balance.status).toBe(400);
    expect(balance.body.field).toBe('diamond');
  });

  it('creates a gift that the paid-call app lists', async () => {
    const created = await server.request('POST', '/admin/api/gifts', {
      body: { name: 'Rose', imgUrl: 'https://img.example/rose.png', cost: 20, effect: 'hearts' },
      headers: asAdmin(),
    });
    expect(created.status).toBe(201);
    const { token } = await server.createUser({ role: 'guest' });
    const list = await server.request('POST', '/app/live/getGiftList', { body: { token } });
    expect(list.body.itemList).toContainEqual({
      giftId: created.body.giftId,
      giftName: 'Rose',
      giftImgUrl: 'https://img.example/rose.png',
      giftCost: 20,
    });
  });
});
