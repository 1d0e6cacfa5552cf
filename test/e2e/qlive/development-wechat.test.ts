import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/index.js';
import { encryptDevelopmentProfile } from '../../../src/wechat/development.js';
import { startTestServer, type TestServer } from '../../helpers/app.js';
import { eventually } from '../../helpers/clients.js';

// No WECHAT_* / WECHATPAY_* variables: the development values `npm start` runs on.
const { appId, appSecret } = loadConfig({}).wechat;
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer('dev_wechat');
});
afterAll(async () => {
  await server?.close();
});

const qlive = (token: string) => ({ authorization: `QLiveToken ${token}` });

async function signUp(openid: string, nickName: string): Promise<string> {
  const login = await server.request('POST', '/wx/api/qlive/qlive_user/login/', {
    body: { appId, code: `dev:${openid}` },
  });
  expect(login.body).toMatchObject({ status: 1, token: '' });
  const created = await server.request('POST', '/wx/api/qlive/qlive_user/', {
    body: {
      appId,
      code: `dev:${openid}`,
      ...encryptDevelopmentProfile({ appId, appSecret, openid, profile: { nickName, gender: 1 } }),
    },
  });
  expect(created.status).toBe(200);
  return created.body.token;
}

describe('the development WeChat (WeChat credentials on development values)', () => {
  it('logs in as the openid a dev:<openid> code names, with its profile decrypted as WeChat’s would be', async () => {
    const token = await signUp('alice_dev', 'Alice');
    const me = await server.request('GET', '/wx/api/qlive/qlive_user/get_userinfo/', {
      headers: qlive(token),
    });
    expect(me.body).toMatchObject({ nickname: 'Alice', gender: 1 });
    const again = await server.request('POST', '/wx/api/qlive/qlive_user/login/', {
      body: { appId, code: 'dev:alice_dev' },
    });
    expect(again.body).toMatchObject({ status: 0, user_id: String(me.body.user_id ?? me.body.id) });
  });

  it('refuses any other code, saying which form works', async () => {
    const login = await server.request('POST', '/wx/api/qlive/qlive_user/login/', {
      body: { appId, code: '081aBcDe2xyz' },
    });
    expect(login.status).toBe(400);
    expect(JSON.stringify(login.body)).toContain('dev:<openid>');
  });

  it('completes a recharge with a development payment credited through the notification path', async () => {
    const token = await signUp('bob_dev', 'Bob');
    const packages = await server.request('GET', '/wx/api/qlive/qlive_pay/', { headers: qlive(token) });
    const [block] = packages.body as { id: number; gold: number }[];
    expect(block).toBeDefined();
    const order = await server.request('POST', '/wx/api/qlive/qlive_pay/', {
      body: { block_id: block?.id },
      headers: qlive(token),
    });
    expect(order.body).toMatchObject({ success: 'success', out_trade_no: expect.any(String) });
    expect(JSON.parse(order.body.content)).toMatchObject({
      package: expect.stringMatching(/^prepay_id=dev_/),
    });

    const gold = await eventually(async () => {
      const me = await server.request('GET', '/wx/api/qlive/qlive_user/get_userinfo/', {
        headers: qlive(token),
      });
      return me.body.gold === block?.gold && me.body.gold;
    }, 10_000);
    expect(gold).toBe(block?.gold);

    // The order was settled by a verified notification: paid, with the ledger's movement for it.
    const client = new pg.Client({ connectionString: server.databaseUrl });
    await client.connect();
    try {
      const { rows } = await client.query('select status from recharge_orders where out_trade_no = $1', [
        order.body.out_trade_no,
      ]);
      expect(rows).toEqual([{ status: 'paid' }]);
    } finally {
      await client.end();
    }
  });
});
