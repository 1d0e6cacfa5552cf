import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/app.js';

let server: TestServer;
const limits = { RATE_LIMIT_PER_MINUTE: '5', RATE_LIMIT_ORDERS_PER_MINUTE: '3', AUTH_CACHE_MS: '0' };
beforeAll(async () => {
  // A small limit, so the test reaches it; the token cache off, so an expiry shows at once.
  server = await startTestServer('tokens_limits', limits);
});
afterAll(() => server.close());

const post = (target: TestServer, path: string, body: Record<string, unknown>) =>
  target.request('POST', path, { body });

describe('tokens', () => {
  it('stop working when they expire', async () => {
    const { token, userId } = await server.createUser({ role: 'guest' });
    const before = await server.request('POST', '/app/user/getCurrentUserInfo', { body: { token } });
    expect(before.status).toBe(200);
    const db = new pg.Client({ connectionString: server.databaseUrl });
    await db.connect();
    await db.query(`update api_tokens set expires_at = now() - interval '1 second' where user_id = $1`, [
      userId,
    ]);
    await db.end();
    const after = await server.request('POST', '/app/user/getCurrentUserInfo', { body: { token } });
    expect(after).toMatchObject({ status: 401, body: { code: 401 } });
  });
});

describe('rate limits', () => {
  it('answer 429 in the envelope once a user applies for calls too often, per user', async () => {
    const guest = await server.createUser({ role: 'guest', diamond: 100 });
    const other = await server.createUser({ role: 'guest', diamond: 100 });
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) {
      const answer = await server.request('POST', '/app/live/callApplyGirl', {
        body: { token: guest.token, targetUserId: 99_999_999 },
      });
      statuses.push(answer.status);
      if (answer.status === 429)
        expect(answer.body).toMatchObject({ code: 429, message: expect.any(String) });
    }
    expect(statuses.slice(0, 5)).toEqual([404, 404, 404, 404, 404]);
    expect(statuses.slice(5)).toEqual([429, 429, 429]);
    // Another user is not limited by him.
    const fresh = await server.request('POST', '/app/live/callApplyGirl', {
      body: { token: other.token, targetUserId: 99_999_999 },
    });
    expect(fresh.status).toBe(404);
  });

  it('limit QLive login attempts per client', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) {
      const answer = await server.request('POST', '/wx/api/qlive/qlive_user/login/', {
        body: { appId: 'wx-someone-else', code: `code-${i}` },
      });
      statuses.push(answer.status);
    }
    expect(statuses).toContain(429);
    expect(statuses.filter((status) => status >= 500)).toEqual([]);
  });

  it('count callGirl, callApplyGirl and callApplyMan against one allowance, with Retry-After, in every process', async () => {
    const other = await startTestServer('tokens_limits', limits, {
      databaseUrl: server.databaseUrl,
      redisPrefix: server.redisPrefix,
      adminToken: server.adminToken,
    });
    try {
      const guest = await server.createUser({ role: 'guest', diamond: 100 });
      const statuses: number[] = [];
      for (const [target, path] of [
        [server, '/app/live/callGirl'],
        [other, '/app/live/callApplyGirl'],
        [server, '/app/live/callGirl'],
        [other, '/app/live/callApplyGirl'],
        [server, '/app/live/callGirl'],
        [other, '/app/live/callApplyGirl'],
      ] as const) {
        const answer = await post(target, path, { token: guest.token, targetUserId: 99_999_999 });
        statuses.push(answer.status);
        if (answer.status === 429) {
          expect(answer.body).toMatchObject({ code: 429 });
          expect(Number(answer.headers.get('retry-after'))).toBeGreaterThan(0);
        }
      }
      expect(statuses).toEqual([404, 404, 404, 404, 404, 429]);
    } finally {
      await other.close();
    }
  });

  it('count createOrder and QLive POST qlive_pay/ against one orders allowance', async () => {
    const guest = await server.createUser({ role: 'guest' });
    const statuses: number[] = [];
    for (let i = 0; i < 2; i++)
      statuses.push(
        (await post(server, '/app/pay/createOrder', { token: guest.token, packageId: 99_999 })).status,
      );
    for (let i = 0; i < 2; i++) {
      const answer = await server.request('POST', '/wx/api/qlive/qlive_pay/', {
        headers: { authorization: `QLiveToken ${guest.token}` },
        body: { block_id: 99_999 },
      });
      statuses.push(answer.status);
    }
    expect(statuses.slice(0, 3).every((status) => status !== 429)).toBe(true);
    expect(statuses[3]).toBe(429);
  });

  it('limit startCall per user', async () => {
    const anchor = await server.createUser({ role: 'anchor' });
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++)
      statuses.push(
        (await post(server, '/app/live/startCall', { token: anchor.token, targetUserId: 99_999_999 })).status,
      );
    expect(statuses).toEqual([409, 409, 409, 409, 409, 429]);
  });
});
