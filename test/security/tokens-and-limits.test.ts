import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/app.js';

let server: TestServer;
beforeAll(async () => {
  // A small limit, so the test reaches it; the token cache off, so an expiry shows at once.
  server = await startTestServer('tokens_limits', { RATE_LIMIT_PER_MINUTE: '5', AUTH_CACHE_MS: '0' });
});
afterAll(() => server.close());

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
});
