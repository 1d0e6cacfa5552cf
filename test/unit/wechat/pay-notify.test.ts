import { beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../../src/errors.js';
import {
  decryptNotificationResource,
  parsePaymentNotification,
  rsaSign,
  signatureMessage,
} from '../../../src/wechat/pay.js';
import {
  encryptNotificationResource,
  generateRsaKeyPair,
  randomAlnum,
} from '../../helpers/fake-wechat-server.js';

const API_V3_KEY = 'abcdefghijklmnopqrstuvwxyz012345'; // 32 ASCII bytes, as the merchant console demands

function errorOf(fn: () => unknown): AppError {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(AppError);
  return caught as AppError;
}

describe('decryptNotificationResource', () => {
  const transaction = {
    out_trade_no: 'qlive_0001',
    trade_state: 'SUCCESS',
    amount: { total: 600 },
    note: '金币',
  };
  const sealed = () => {
    const nonce = randomAlnum(12);
    return {
      apiV3Key: API_V3_KEY,
      associatedData: 'transaction',
      nonce,
      ciphertext: encryptNotificationResource({
        apiV3Key: API_V3_KEY,
        associatedData: 'transaction',
        nonce,
        plaintext: JSON.stringify(transaction),
      }),
    };
  };

  it('round-trips AES-256-GCM with the tag appended to the ciphertext', () => {
    const resource = sealed();
    expect(Buffer.from(resource.ciphertext, 'base64').length).toBe(
      Buffer.byteLength(JSON.stringify(transaction)) + 16,
    );
    expect(decryptNotificationResource(resource)).toEqual(transaction);
  });

  it('works with empty associated data', () => {
    const nonce = randomAlnum(12);
    const ciphertext = encryptNotificationResource({
      apiV3Key: API_V3_KEY,
      associatedData: '',
      nonce,
      plaintext: '{"a":1}',
    });
    expect(
      decryptNotificationResource({ apiV3Key: API_V3_KEY, associatedData: '', nonce, ciphertext }),
    ).toEqual({ a: 1 });
  });

  it('fails cleanly (401) on a tampered ciphertext, tag, nonce, associated data or key', () => {
    const resource = sealed();
    const bytes = Buffer.from(resource.ciphertext, 'base64');
    const flip = (i: number) => {
      const copy = Buffer.from(bytes);
      copy[i] = (copy[i] ?? 0) ^ 1;
      return copy.toString('base64');
    };
    expect(errorOf(() => decryptNotificationResource({ ...resource, ciphertext: flip(0) })).statusCode).toBe(
      401,
    );
    expect(
      errorOf(() => decryptNotificationResource({ ...resource, ciphertext: flip(bytes.length - 1) }))
        .statusCode,
    ).toBe(401);
    expect(
      errorOf(() => decryptNotificationResource({ ...resource, nonce: randomAlnum(12) })).statusCode,
    ).toBe(401);
    expect(
      errorOf(() => decryptNotificationResource({ ...resource, associatedData: 'certificate' })).statusCode,
    ).toBe(401);
    expect(
      errorOf(() =>
        decryptNotificationResource({ ...resource, apiV3Key: 'ABCDEFGHIJKLMNOPQRSTUVWXYZ012345' }),
      ).statusCode,
    ).toBe(401);
  });

  it('refuses malformed input with a 400 and a bad key length with a TypeError', () => {
    const resource = sealed();
    expect(errorOf(() => decryptNotificationResource({ ...resource, ciphertext: '' })).statusCode).toBe(400);
    expect(errorOf(() => decryptNotificationResource({ ...resource, ciphertext: 'AAAA' })).statusCode).toBe(
      400,
    );
    expect(errorOf(() => decryptNotificationResource({ ...resource, nonce: '' })).statusCode).toBe(400);
    expect(() => decryptNotificationResource({ ...resource, apiV3Key: 'short' })).toThrow(TypeError);
    const nonce = randomAlnum(12);
    const notJson = encryptNotificationResource({
      apiV3Key: API_V3_KEY,
      associatedData: 'x',
      nonce,
      plaintext: 'nope',
    });
    expect(
      errorOf(() =>
        decryptNotificationResource({
          apiV3Key: API_V3_KEY,
          associatedData: 'x',
          nonce,
          ciphertext: notJson,
        }),
      ).statusCode,
    ).toBe(400);
  });
});

describe('parsePaymentNotification', () => {
  let platform: { privateKeyPem: string; publicKeyPem: string };
  beforeAll(() => {
    platform = generateRsaKeyPair();
  });

  const transaction = {
    appid: 'wxA',
    mchid: '1900000001',
    out_trade_no: 'qlive_0001',
    transaction_id: '4200000001',
    trade_type: 'JSAPI',
    trade_state: 'SUCCESS',
    success_time: '2025-01-01T12:00:00+08:00',
    payer: { openid: 'o-1' },
    amount: { total: 600, payer_total: 600, currency: 'CNY', payer_currency: 'CNY' },
  };

  function request(plain: unknown = transaction, { timestamp = Math.floor(Date.now() / 1000) } = {}) {
    const nonce = randomAlnum(12);
    const body = JSON.stringify({
      id: 'EV-1',
      create_time: '2025-01-01T12:00:01+08:00',
      resource_type: 'encrypt-resource',
      event_type: 'TRANSACTION.SUCCESS',
      summary: '支付成功',
      resource: {
        original_type: 'transaction',
        algorithm: 'AEAD_AES_256_GCM',
        ciphertext: encryptNotificationResource({
          apiV3Key: API_V3_KEY,
          associatedData: 'transaction',
          nonce,
          plaintext: JSON.stringify(plain),
        }),
        associated_data: 'transaction',
        nonce,
      },
    });
    const headerNonce = randomAlnum(32);
    return {
      body,
      headers: {
        'wechatpay-timestamp': String(timestamp),
        'wechatpay-nonce': headerNonce,
        'wechatpay-signature': rsaSign(
          signatureMessage(String(timestamp), headerNonce, body),
          platform.privateKeyPem,
        ),
        'wechatpay-serial': 'PLAT',
        'wechatpay-signature-type': 'WECHATPAY2-SHA256-RSA2048',
      } as Record<string, string>,
    };
  }
  const certs = () => new Map([['PLAT', platform.publicKeyPem]]);

  it('verifies, decrypts and returns the transaction', () => {
    const { body, headers } = request();
    expect(
      parsePaymentNotification({ headers, body, platformCertificates: certs(), apiV3Key: API_V3_KEY }),
    ).toEqual({
      id: 'EV-1',
      eventType: 'TRANSACTION.SUCCESS',
      createTime: '2025-01-01T12:00:01+08:00',
      transaction,
    });
  });

  it('rejects a tampered body, an unknown serial and a replayed old notification with 401', () => {
    const { body, headers } = request();
    const parse = (h: Record<string, string>, b = body) =>
      errorOf(() =>
        parsePaymentNotification({
          headers: h,
          body: b,
          platformCertificates: certs(),
          apiV3Key: API_V3_KEY,
        }),
      );
    expect(parse(headers, body.replace('EV-1', 'EV-2')).statusCode).toBe(401);
    expect(parse({ ...headers, 'wechatpay-serial': 'NOPE' }).statusCode).toBe(401);
    expect(parse({}).statusCode).toBe(401);
    const old = request(transaction, { timestamp: Math.floor(Date.now() / 1000) - 3600 });
    expect(parse(old.headers, old.body).statusCode).toBe(401);
  });

  it('rejects a genuine envelope whose transaction lacks what we need', () => {
    const { body, headers } = request({ out_trade_no: 'x', trade_state: 'SUCCESS' });
    const err = errorOf(() =>
      parsePaymentNotification({ headers, body, platformCertificates: certs(), apiV3Key: API_V3_KEY }),
    );
    expect(err.statusCode).toBe(400);
  });
});
