/**
 * A QLive server under test wired to a local fake WeChat (login + Pay), with the steps every QLive
 * test repeats: sign a user up through WeChat, call the API with a QLiveToken, pay an order.
 */
import { randomBytes } from 'node:crypto';
import { startTestServer, type TestResponse, type TestServer } from '../../helpers/app.js';
import { connectClient, type TestClient } from '../../helpers/clients.js';
import { type FakeTencentIm, imEnv, startFakeTencentIm } from '../../helpers/fake-tencent-im.js';
import {
  encryptUserData,
  type FakeWeChatServer,
  generateRsaKeyPair,
  startFakeWeChatServer,
} from '../../helpers/fake-wechat-server.js';

export const QLIVE = '/wx/api/qlive';
export const MCH_ID = '1900000109';
export const MCH_SERIAL = '5157F09EFDC096DE15EBE81A47057A7232F1B8E1';

export interface QliveHarness {
  server: TestServer;
  wechat: FakeWeChatServer;
  /** The stand-in Tencent IM REST API the server calls. */
  im: FakeTencentIm;
  notifyUrl: string;
  get(path: string, token: string, query?: Record<string, string | number>): Promise<TestResponse>;
  post(
    path: string,
    token: string | null,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<TestResponse>;
  /** Registers a one-time login code at the fake WeChat for this WeChat user. */
  code(user: WechatIdentity): string;
  /** login (status 1) → creation with encryptedData: a new QLive user, as the mini-program does it. */
  signUp(profile: WechatProfile): Promise<SignedUp>;
  /** A socket.io client as the mini-program opens it; closed with the harness. */
  client(token: string): Promise<TestClient>;
  /** The caller's `user_type` from get_user_state. */
  userType(token: string): Promise<number>;
  close(): Promise<void>;
}

export interface WechatIdentity {
  openid: string;
  sessionKey: string;
}

export interface WechatProfile {
  nickName: string;
  gender: 0 | 1 | 2;
  avatarUrl?: string;
  city?: string;
  province?: string;
}

export interface SignedUp extends WechatIdentity {
  userId: number;
  token: string;
  userSign: string;
}

export async function startQliveHarness(
  label: string,
  env: Record<string, string> = {},
): Promise<QliveHarness> {
  const wechat = await startFakeWeChatServer({ appId: 'wxqlive0123456789', appSecret: 'qlive-secret' });
  const im = await startFakeTencentIm();
  const merchant = generateRsaKeyPair();
  wechat.registerMerchant({ mchId: MCH_ID, serialNo: MCH_SERIAL, publicKeyPem: merchant.publicKeyPem });
  const server = await startTestServer(label, {
    WECHAT_APP_ID: wechat.appId,
    WECHAT_APP_SECRET: wechat.appSecret,
    WECHAT_API_BASE: wechat.url,
    WECHATPAY_API_BASE: wechat.url,
    WECHATPAY_MCH_ID: MCH_ID,
    WECHATPAY_MCH_SERIAL_NO: MCH_SERIAL,
    WECHATPAY_MCH_PRIVATE_KEY: merchant.privateKeyPem,
    WECHATPAY_API_V3_KEY: wechat.apiV3Key,
    WECHATPAY_PLATFORM_SERIAL: wechat.platformSerial,
    WECHATPAY_PLATFORM_PUBLIC_KEY: wechat.platformPublicKeyPem,
    ...imEnv(im),
    ...env,
  });

  const auth = (token: string | null): Record<string, string> =>
    token ? { authorization: `QLiveToken ${token}` } : {};
  const get = (path: string, token: string, query: Record<string, string | number> = {}) => {
    const search = new URLSearchParams(
      Object.entries(query).map(([k, v]): [string, string] => [k, String(v)]),
    ).toString();
    return server.request('GET', `${QLIVE}${path}${search ? `?${search}` : ''}`, { headers: auth(token) });
  };
  const post = (
    path: string,
    token: string | null,
    body: unknown = {},
    headers: Record<string, string> = {},
  ) => server.request('POST', `${QLIVE}${path}`, { body, headers: { ...auth(token), ...headers } });

  const code = (user: WechatIdentity) => {
    const value = `code-${randomBytes(8).toString('hex')}`;
    wechat.registerCode(value, user);
    return value;
  };

  async function signUp(profile: WechatProfile): Promise<SignedUp> {
    const identity = {
      openid: `o-${randomBytes(10).toString('hex')}`,
      sessionKey: randomBytes(16).toString('base64'),
    };
    const loginCode = code(identity);
    const login = await post('/qlive_user/login/', null, { appId: wechat.appId, code: loginCode });
    if (login.status !== 200 || login.body.status !== 1)
      throw new Error(`login: ${JSON.stringify(login.body)}`);
    const iv = randomBytes(16).toString('base64');
    const encryptedData = encryptUserData({
      sessionKey: identity.sessionKey,
      iv,
      data: {
        openId: identity.openid,
        ...profile,
        watermark: { appid: wechat.appId, timestamp: 1_700_000_000 },
      },
    });
    const created = await post('/qlive_user/', null, {
      appId: wechat.appId,
      code: loginCode,
      encryptedData,
      iv,
    });
    if (created.status !== 200) throw new Error(`create: ${created.status} ${JSON.stringify(created.body)}`);
    return {
      ...identity,
      userId: Number(created.body.user_id),
      token: created.body.token,
      userSign: created.body.user_sign,
    };
  }

  const clients: TestClient[] = [];
  return {
    server,
    wechat,
    im,
    notifyUrl: `${server.url}${QLIVE}/qlive_pay/notify/`,
    get,
    post,
    code,
    signUp,
    client: async (token) => {
      const opened = await connectClient(server, token);
      clients.push(opened);
      return opened;
    },
    userType: async (token) => (await get('/qlive_user/get_user_state/', token)).body.user_type,
    close: async () => {
      for (const opened of clients) opened.close();
      await server.close();
      await wechat.close();
      await im.close();
    },
  };
}

/** A signed Tencent push URL: rtmp, the room stream of that user, txSecret/txTime. */
export const pushUrlPattern = (liveId: number, userId: number) =>
  new RegExp(`^rtmp://[^/]+/live/room_${liveId}_${userId}\\?txSecret=[0-9a-f]{32}&txTime=[0-9A-F]+$`);

export const playUrlPattern = (liveId: number, userId: number) =>
  new RegExp(`^rtmp://[^/]+/live/room_${liveId}_${userId}$`);
