import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/app.js';

const METRICS_TOKEN = 'metrics-token-for-the-scraper-only';
const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
/** Production refuses development vendor credentials, so it gets stand-ins for real ones. */
const PRODUCTION = {
  NODE_ENV: 'production',
  TENCENT_SDK_APP_ID: '1400123456',
  TENCENT_SECRET_KEY: 'tencent-secret',
  LIVE_PUSH_DOMAIN: 'push.example.com',
  LIVE_PLAY_DOMAIN: 'play.example.com',
  LIVE_PUSH_KEY: 'push-key',
  WECHAT_APP_ID: 'wx0123456789abcdef',
  WECHAT_APP_SECRET: 'wechat-secret',
  WECHATPAY_MCH_ID: '1900000001',
  WECHATPAY_MCH_SERIAL_NO: '3775B6A45ACD588826D15E583A95F5DD9C0A3E9E',
  WECHATPAY_MCH_PRIVATE_KEY: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  WECHATPAY_API_V3_KEY: 'k'.repeat(16) + 'v'.repeat(16),
  WECHATPAY_PLATFORM_SERIAL: 'PUB_KEY_ID_0001',
  WECHATPAY_PLATFORM_PUBLIC_KEY: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
};
let server: TestServer;
let production: TestServer;
let user: { userId: number; token: string };

beforeAll(async () => {
  server = await startTestServer('ops_surface', { METRICS_TOKEN });
  production = await startTestServer('ops_surface_prod', PRODUCTION);
  user = await server.createUser({ role: 'guest' });
});
afterAll(async () => {
  await production.close();
  await server.close();
});

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('API answers', () => {
  it('carry Cache-Control: no-store and X-Content-Type-Options: nosniff, success or failure, on every API', async () => {
    const answers = [
      await server.request('POST', '/app/user/getCurrentUserInfo', { body: { token: user.token } }),
      await server.request('POST', '/app/user/getCurrentUserInfo', { body: {} }),
      await server.request('GET', '/wx/api/qlive/qlive_user/get_userinfo/', {
        headers: { authorization: `QLiveToken ${user.token}` },
      }),
      await server.request('GET', `/admin/api/users/${user.userId}`, {
        headers: { authorization: `Bearer ${server.adminToken}` },
      }),
      await server.request('GET', '/no/such/route'),
    ];
    for (const answer of answers) {
      expect(answer.headers.get('cache-control')).toBe('no-store');
      expect(answer.headers.get('x-content-type-options')).toBe('nosniff');
    }
  });

  it('use a request id the server made, never the one a client sent', async () => {
    const answer = await server.request('POST', '/app/user/getCurrentUserInfo', {
      body: {},
      headers: { 'x-request-id': '<script>alert(1)</script>' },
    });
    const id = answer.headers.get('x-request-id');
    expect(id).toMatch(UUID);
    expect(answer.body.requestId).toBe(id);
  });
});

describe('/metrics', () => {
  it('needs the METRICS_TOKEN bearer token when one is configured', async () => {
    expect((await fetch(`${server.url}/metrics`)).status).toBe(401);
    const wrong = await fetch(`${server.url}/metrics`, { headers: { authorization: 'Bearer not-it' } });
    expect(wrong.status).toBe(401);
    const right = await fetch(`${server.url}/metrics`, {
      headers: { authorization: `Bearer ${METRICS_TOKEN}` },
    });
    expect(right.status).toBe(200);
    expect(await right.text()).toContain('http_request_duration_seconds');
  });

  it('is off in production when no METRICS_TOKEN is set', async () => {
    expect((await fetch(`${production.url}/metrics`)).status).toBe(404);
  });
});

describe('/docs', () => {
  it('is served outside production and off in production by default', async () => {
    expect((await fetch(`${server.url}/docs/json`)).status).toBe(200);
    expect((await fetch(`${production.url}/docs/json`)).status).toBe(404);
    expect((await fetch(`${production.url}/docs`)).status).toBe(404);
  });

  it('can be turned on in production with DOCS_ENABLED', async () => {
    const documented = await startTestServer('ops_surface_docs', { ...PRODUCTION, DOCS_ENABLED: 'true' });
    try {
      expect((await fetch(`${documented.url}/docs/json`)).status).toBe(200);
    } finally {
      await documented.close();
    }
  });
});
