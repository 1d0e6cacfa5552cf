import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { liveCall } from '../../e2e/moderation/call-driver.js';
import { startTestServer, type TestServer } from '../../helpers/app.js';
import { copyArchivedCall } from '../../helpers/archive-fixtures.js';
import { eventually } from '../../helpers/clients.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer('admin_archive');
});
afterAll(() => server.close());

const asAdmin = () => ({ authorization: `Bearer ${server.adminToken}` });
const get = (path: string) => server.request('GET', `/admin/api${path}`, { headers: asAdmin() });
const post = (path: string, body?: unknown) =>
  server.request('POST', `/admin/api${path}`, { headers: asAdmin(), body: body ?? {} });

async function settledCall() {
  const call = await liveCall(server);
  await post(`/calls/${call.callId}/hangup`, { reason: 'test' });
  await eventually(async () => ((await get(`/machines/call/${call.callId}`)).body.record ? true : null));
  await eventually(async () => {
    const page = await get('/archives?kind=call&limit=200');
    return page.body.machines.some((row: { id: string }) => row.id === call.callId) ? true : null;
  });
  return call;
}

describe('admin archive API', () => {
  it('pages by cursor through 1,000 finished calls, each exactly once, newest first', async () => {
    const template = await settledCall();
    const client = new pg.Client({ connectionString: server.databaseUrl });
    await client.connect();
    try {
      await copyArchivedCall(client, template.callId, 1000, 5_000_000);
    } finally {
      await client.end();
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: {
        status: number;
        body: { machines: { id: string; updatedAt: number }[]; nextCursor: string | null };
      } = await get(`/archives?kind=call&limit=200${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.status).toBe(200);
      seen.push(...page.body.machines.map((row) => row.id));
      const times = page.body.machines.map((row) => row.updatedAt);
      expect(times).toEqual([...times].sort((a, b) => b - a));
      cursor = page.body.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(6);
    expect(seen).toHaveLength(1001);
    expect(new Set(seen).size).toBe(1001);

    // A limit above the cap and a cursor the API did not give out are refused, not ignored.
    expect((await get('/archives?limit=201')).status).toBe(400);
    const forged = await get('/archives?cursor=bm90LWEtY3Vyc29y');
    expect(forged.status).toBe(400);
    expect(forged.body.field).toBe('cursor');
  });

  it('shows end reason, minutes, money and duration, and filters by end reason, user and time', async () => {
    const call = await settledCall();
    const listed = await get(`/archives?user=${call.guest.userId}`);
    expect(listed.body.machines).toEqual([
      expect.objectContaining({
        kind: 'call',
        id: call.callId,
        state: 'settled',
        endReason: 'hangup_server',
        minutes: 1,
        diamonds: 60,
        points: 30,
        durationMs: expect.any(Number),
        endedAt: expect.any(Number),
      }),
    ]);
    const row = listed.body.machines[0];
    expect((await get(`/archives?user=${call.guest.userId}&endReason=missed`)).body.machines).toEqual([]);
    expect(
      (await get(`/archives?user=${call.guest.userId}&endReason=hangup_server`)).body.machines,
    ).toHaveLength(1);
    expect(
      (await get(`/archives?user=${call.guest.userId}&from=${row.updatedAt + 1}`)).body.machines,
    ).toEqual([]);
    expect((await get(`/archives?user=${call.guest.userId}&to=${row.updatedAt}`)).body.machines).toEqual([]);
    expect(
      (
        await get(
          `/archives?user=${call.guest.userId}&from=${row.updatedAt - 1000}&to=${row.updatedAt + 1000}`,
        )
      ).body.machines,
    ).toHaveLength(1);
  });

  it('finds calls, rooms and users by id, call_<id>, nickname and openid from one search box', async () => {
    const call = await settledCall();
    const byPrefixed = await get(`/search?q=call_${call.callId}`);
    expect(byPrefixed.body.results).toContainEqual(
      expect.objectContaining({ type: 'machine', kind: 'call', id: call.callId }),
    );
    const byId = await get(`/search?q=${call.callId}`);
    expect(byId.body.results).toContainEqual(
      expect.objectContaining({ type: 'machine', kind: 'call', id: call.callId, matched: 'id' }),
    );
    const byUserId = await get(`/search?q=${call.anchor.userId}`);
    expect(byUserId.body.results).toContainEqual(
      expect.objectContaining({ type: 'user', id: String(call.anchor.userId), matched: 'id' }),
    );
    const unique = await server.createUser({ role: 'guest', nickname: 'Zhang Wuji 张无忌' });
    const byNickname = await get(`/search?q=${encodeURIComponent('wuji 张')}`);
    expect(byNickname.body.results).toEqual([
      expect.objectContaining({ type: 'user', id: String(unique.userId), matched: 'nickname' }),
    ]);
    const client = new pg.Client({ connectionString: server.databaseUrl });
    await client.connect();
    try {
      await client.query('update users set wechat_openid = $1 where id = $2', [
        'oQLive_test_openid_42',
        unique.userId,
      ]);
    } finally {
      await client.end();
    }
    const byOpenid = await get('/search?q=oQLive_test_openid_42');
    expect(byOpenid.body.results).toEqual([
      expect.objectContaining({ type: 'user', id: String(unique.userId), matched: 'openid' }),
    ]);
    expect((await get('/search?q=nobody-called-this')).body.results).toEqual([]);
    expect((await get('/search?q=')).status).toBe(400);
  });
});
