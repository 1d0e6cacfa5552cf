/** The WeChat clients against a real (fake) WeChat over HTTP, end to end: login, order, pay, notify. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../../src/errors.js';
import { createCode2Session } from '../../../src/wechat/code2session.js';
import {
  createJsapiOrder,
  type JsapiOrderInput,
  miniProgramPaymentParams,
  type PaymentNotification,
  parsePaymentNotification,
} from '../../../src/wechat/pay.js';
import {
  type FakeWeChatServer,
  generateRsaKeyPair,
  startFakeWeChatServer,
} from '../../helpers/fake-wechat-server.js';

const MCH_ID = '1900000001';
const SERIAL = '3775B6A45ACD588826D15E583A95F5DD9C0A3E9E';

let wechat: FakeWeChatServer;
let merchant: { privateKeyPem: string; publicKeyPem: string };
let receiver: Server;
let notifyUrl: string;
const received: PaymentNotification[] = [];

beforeAll(async () => {
  wechat = await startFakeWeChatServer({ appId: 'wxqlive', appSecret: 'app-secret' });
  merchant = generateRsaKeyPair();
  wechat.registerMerchant({ mchId: MCH_ID, serialNo: SERIAL, publicKeyPem: merchant.publicKeyPem });

  // A minimal merchant notify endpoint, as the payments route will do it: 204 when genuine, else 401/400.
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      try {
        received.push(
          parsePaymentNotification({
            headers: req.headers,
            body: Buffer.concat(chunks).toString('utf8'),
            platformCertificates: wechat.platformCertificates,
            apiV3Key: wechat.apiV3Key,
          }),
        );
        res.writeHead(204).end();
      } catch (err) {
        const status = err instanceof AppError ? err.statusCode : 500;
        res
          .writeHead(status, { 'Content-Type': 'application/json' })
          .end(JSON.stringify({ code: 'FAIL', message: 'bad' }));
      }
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  notifyUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/wx/api/qlive/qlive_pay/notify`;
});

afterAll(async () => {
  await wechat.close();
  receiver.closeAllConnections();
  await new Promise((r) => receiver.close(r));
});

const order = (overrides: Partial<JsapiOrderInput> = {}): JsapiOrderInput => ({
  apiBase: wechat.url,
  mchId: MCH_ID,
  appId: 'wxqlive',
  serialNo: SERIAL,
  privateKeyPem: merchant.privateKeyPem,
  description: 'QLive 600 金币',
  outTradeNo: `qlive${Date.now()}${Math.floor(Math.random() * 1e6)}`,
  notifyUrl,
  amountFen: 600,
  payerOpenid: 'o-payer',
  timeoutMs: 5000,
  ...overrides,
});

async function failure(promise: Promise<unknown>): Promise<AppError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AppError);
  return err as AppError;
}

describe('fake WeChat: login', () => {
  it('serves jscode2session for registered codes, once each', async () => {
    const login = createCode2Session({ apiBase: wechat.url, appId: 'wxqlive', appSecret: 'app-secret' });
    wechat.registerCode('code-1', { openid: 'o-1', sessionKey: 'c2Vzc2lvbmtleTE2Ynl0ZQ==' });
    await expect(login('code-1')).resolves.toEqual({ openid: 'o-1', sessionKey: 'c2Vzc2lvbmtleTE2Ynl0ZQ==' });
    expect((await failure(login('code-1'))).message).toMatch(/already been used/);
    expect((await failure(login('code-2'))).message).toMatch(/invalid WeChat login code/);
  });
});

describe('fake WeChat: pay', () => {
  it('places a signed JSAPI order, verifies the signed answer and records the order', async () => {
    const input = order({ attach: 'block:2', timeExpire: new Date('2030-01-01T00:00:00Z') });
    const { prepayId } = await createJsapiOrder({
      ...input,
      platformCertificates: wechat.platformCertificates,
    });
    expect(prepayId).toMatch(/^wx/);
    expect(wechat.orders.get(input.outTradeNo)).toMatchObject({
      appid: 'wxqlive',
      mchid: MCH_ID,
      description: 'QLive 600 金币',
      notify_url: notifyUrl,
      attach: 'block:2',
      time_expire: '2030-01-01T08:00:00+08:00',
      amount: { total: 600, currency: 'CNY' },
      payer: { openid: 'o-payer' },
      prepayId,
      state: 'NOTPAY',
    });
    // Same order again with identical parameters: same prepay_id (safe client retry).
    await expect(createJsapiOrder(input)).resolves.toEqual({ prepayId });
    // Same out_trade_no, different amount: refused.
    expect((await failure(createJsapiOrder({ ...input, amountFen: 1 }))).statusCode).toBe(400);
  });

  it('is refused with a key WeChat does not know (503: server misconfigured)', async () => {
    const stranger = generateRsaKeyPair();
    expect(
      (await failure(createJsapiOrder(order({ privateKeyPem: stranger.privateKeyPem })))).statusCode,
    ).toBe(503);
    expect((await failure(createJsapiOrder(order({ serialNo: 'WRONG' })))).statusCode).toBe(503);
    expect((await failure(createJsapiOrder(order({ appId: 'wxother' })))).statusCode).toBe(503);
  });

  it('distrusts an answer not signed by a known platform key', async () => {
    const err = await failure(
      createJsapiOrder({
        ...order(),
        platformCertificates: new Map([[wechat.platformSerial, merchant.publicKeyPem]]),
      }),
    );
    expect(err.statusCode).toBe(503);
    expect(err.message).toMatch(/signature/);
  });

  it('maps WeChat Pay errors to domain errors', async () => {
    const cases: [number, string, number][] = [
      [429, 'FREQUENCY_LIMITED', 429],
      [500, 'SYSTEM_ERROR', 503],
      [403, 'RULE_LIMIT', 403],
      [403, 'OUT_TRADE_NO_USED', 409],
      [400, 'PARAM_ERROR', 400],
      [502, 'WHATEVER', 503],
    ];
    for (const [status, code, expected] of cases) {
      wechat.failNextOrder({ status, code, message: `${code} happened` });
      const err = await failure(createJsapiOrder(order()));
      expect([code, err.statusCode]).toEqual([code, expected]);
    }
  });

  it('delivers a verifiable payment notification, and a tampered or stale one is refused', async () => {
    const input = order();
    const { prepayId } = await createJsapiOrder(input);
    // What the mini-program gets; the fake does not check it, signing is covered in pay-signing.test.ts.
    expect(
      miniProgramPaymentParams({ appId: 'wxqlive', prepayId, privateKeyPem: merchant.privateKeyPem }).package,
    ).toBe(`prepay_id=${prepayId}`);

    const stored = wechat.orders.get(input.outTradeNo);
    if (!stored) throw new Error('order not recorded');
    received.length = 0;
    expect(await wechat.notifyPaid(stored, notifyUrl)).toBe(204);
    expect(await wechat.notifyPaid(input.outTradeNo)).toBe(204); // WeChat retries; defaults to notify_url
    expect(received).toHaveLength(2);
    expect(received[0]?.eventType).toBe('TRANSACTION.SUCCESS');
    expect(received[0]?.transaction).toMatchObject({
      appid: 'wxqlive',
      mchid: MCH_ID,
      out_trade_no: input.outTradeNo,
      trade_state: 'SUCCESS',
      payer: { openid: 'o-payer' },
      amount: { total: 600 },
    });
    expect(received[1]?.transaction.transaction_id).toBe(received[0]?.transaction.transaction_id);
    expect(stored.state).toBe('SUCCESS');

    expect(await wechat.notifyPaid(stored, notifyUrl, { tamper: true })).toBe(401);
    expect(
      await wechat.notifyPaid(stored, notifyUrl, { timestamp: Math.floor(Date.now() / 1000) - 3600 }),
    ).toBe(401);
    expect(received).toHaveLength(2);
    expect(wechat.notifications.map((n) => n.status)).toEqual([204, 204, 401, 401]);

    // A paid order cannot be placed again.
    expect((await failure(createJsapiOrder(input))).statusCode).toBe(409);
  });
});
