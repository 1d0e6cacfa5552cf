import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Cluster, postTo, startCluster } from '../helpers/cluster.js';

const SECRET_KEY = 'tencent-secret-key-that-must-never-be-logged';
const PUSH_KEY = 'push-key-that-must-never-be-logged';
const APP_SECRET = 'wechat-app-secret-that-must-never-be-logged';
let cluster: Cluster;

beforeAll(async () => {
  cluster = await startCluster('secrets_logs', 1, {
    LOG_LEVEL: 'trace',
    TENCENT_SECRET_KEY: SECRET_KEY,
    LIVE_PUSH_KEY: PUSH_KEY,
    WECHAT_APP_SECRET: APP_SECRET,
  });
}, 90_000);
afterAll(() => cluster?.close());

describe('logs', () => {
  it('never contain tokens, the admin token or vendor secrets, whatever the requests carry', async () => {
    const server = cluster.processes[0]!;
    const created = await postTo(
      server,
      '/admin/api/users',
      { role: 'guest', diamond: 10 },
      {
        authorization: `Bearer ${cluster.adminToken}`,
      },
    );
    const { token } = created.body as { token: string };
    await postTo(server, '/app/user/getCurrentUserInfo', { token });
    await postTo(server, `/app/user/getCurrentUserInfo?token=${token}`, {});
    // Spellings the query parser decodes to `token`: accepted, so they must be hidden too.
    const accepted = await postTo(server, `/app/user/getCurrentUserInfo?tok%65n=${token}`, {});
    expect(accepted.status).toBe(200);
    await postTo(server, `/app/user/getCurrentUserInfo?%74oken=${token}&page=1`, {});
    await fetch(`${server.url}/no/such/route?tok%65n=${token}`);
    await postTo(server, '/app/user/getCurrentUserInfo', {}, { authorization: `Bearer ${token}` });
    await fetch(`${server.url}/wx/api/qlive/qlive_gift/`, {
      headers: { authorization: `QLiveToken ${token}` },
    });
    await postTo(server, '/app/user/updateDisplay', { token, display: 'not-a-number' });
    await postTo(
      server,
      '/admin/api/users',
      { role: 'nobody' },
      { authorization: `Bearer ${cluster.adminToken}` },
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    const logs = server.output();
    expect(logs).toContain('request completed');
    // The query-string token was logged, as the redacted form.
    expect(logs).toContain('token=[redacted]');
    for (const secret of [token, cluster.adminToken, SECRET_KEY, PUSH_KEY, APP_SECRET]) {
      expect(logs).not.toContain(secret);
    }
  }, 60_000);
});
