import { createPublicKey, verify } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../../src/errors.js';
import {
  miniProgramPaymentParams,
  rsaSign,
  signatureMessage,
  signRequest,
  verifyNotificationSignature,
} from '../../../src/wechat/pay.js';
import { generateRsaKeyPair, parseWechatpayAuthorization } from '../../helpers/fake-wechat-server.js';

let merchant: { privateKeyPem: string; publicKeyPem: string };
let platform: { privateKeyPem: string; publicKeyPem: string };
beforeAll(() => {
  merchant = generateRsaKeyPair();
  platform = generateRsaKeyPair();
});

const rsaOk = (message: string, signature: string, publicKeyPem: string) =>
  verify('sha256', Buffer.from(message), createPublicKey(publicKeyPem), Buffer.from(signature, 'base64'));

function unauthorizedBy(fn: () => unknown): AppError {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(AppError);
  expect((caught as AppError).statusCode).toBe(401);
  return caught as AppError;
}

describe('signRequest', () => {
  it('builds the v3 Authorization header over METHOD/URL/TIMESTAMP/NONCE/BODY', () => {
    const body = '{"appid":"wxA","amount":{"total":100}}';
    const header = signRequest({
      method: 'post',
      urlPath: '/v3/pay/transactions/jsapi',
      body,
      mchId: '1900009191',
      serialNo: '1DDE55AD98ED71D6EDD4A4A16996DE7B47773A8C',
      privateKeyPem: merchant.privateKeyPem,
      nonce: '593BEC0C930BF1AFEB40B4A08C8FB242',
      timestamp: 1554208460,
    });
    expect(header).toMatch(
      /^WECHATPAY2-SHA256-RSA2048 mchid="1900009191",nonce_str="593BEC0C930BF1AFEB40B4A08C8FB242",signature="[A-Za-z0-9+/]+=*",timestamp="1554208460",serial_no="1DDE55AD98ED71D6EDD4A4A16996DE7B47773A8C"$/,
    );
    const fields = parseWechatpayAuthorization(header);
    const message = `POST\n/v3/pay/transactions/jsapi\n1554208460\n593BEC0C930BF1AFEB40B4A08C8FB242\n${body}\n`;
    expect(rsaOk(message, fields?.signature ?? '', merchant.publicKeyPem)).toBe(true);
    expect(rsaOk(message.replace('100', '1'), fields?.signature ?? '', merchant.publicKeyPem)).toBe(false);
  });

  it('signs an empty body for GET and fills nonce and timestamp itself', () => {
    const before = Math.floor(Date.now() / 1000);
    const fields = parseWechatpayAuthorization(
      signRequest({
        method: 'GET',
        urlPath: '/v3/certificates',
        mchId: 'm',
        serialNo: 's',
        privateKeyPem: merchant.privateKeyPem,
      }),
    );
    expect(fields?.nonce_str).toMatch(/^[0-9A-F]{32}$/);
    expect(Number(fields?.timestamp)).toBeGreaterThanOrEqual(before);
    const message = `GET\n/v3/certificates\n${fields?.timestamp}\n${fields?.nonce_str}\n\n`;
    expect(rsaOk(message, fields?.signature ?? '', merchant.publicKeyPem)).toBe(true);
  });
});

describe('miniProgramPaymentParams', () => {
  it('signs appId/timeStamp/nonceStr/package for wx.requestPayment', () => {
    const params = miniProgramPaymentParams({
      appId: 'wxA',
      prepayId: 'wx201410272009395522657a690389285100',
      privateKeyPem: merchant.privateKeyPem,
      nonce: 'n0nce',
      timestamp: 1414561699,
    });
    expect(params).toMatchObject({
      timeStamp: '1414561699',
      nonceStr: 'n0nce',
      package: 'prepay_id=wx201410272009395522657a690389285100',
      signType: 'RSA',
    });
    const message = 'wxA\n1414561699\nn0nce\nprepay_id=wx201410272009395522657a690389285100\n';
    expect(rsaOk(message, params.paySign, merchant.publicKeyPem)).toBe(true);
  });
});

describe('verifyNotificationSignature', () => {
  const now = 1_700_000_100_000;
  const body = '{"id":"EV-2018022511223320873","event_type":"TRANSACTION.SUCCESS"}';
  const signed = () => {
    const timestamp = '1700000000';
    const nonce = 'fdasflkja484w';
    return {
      timestamp,
      nonce,
      body,
      signature: rsaSign(signatureMessage(timestamp, nonce, body), platform.privateKeyPem),
      serial: 'PLATFORM1',
      platformCertificates: new Map([
        ['PLATFORM1', platform.publicKeyPem],
        ['OTHER', merchant.publicKeyPem],
      ]),
      now,
    };
  };

  it('accepts a genuine notification', () => {
    expect(() => verifyNotificationSignature(signed())).not.toThrow();
  });

  it('rejects a tampered body, a wrong serial, a stale or future timestamp and junk signatures', () => {
    unauthorizedBy(() =>
      verifyNotificationSignature({ ...signed(), body: body.replace('SUCCESS', 'CLOSED') }),
    );
    unauthorizedBy(() => verifyNotificationSignature({ ...signed(), nonce: 'other' }));
    expect(
      unauthorizedBy(() => verifyNotificationSignature({ ...signed(), serial: 'UNKNOWN' })).message,
    ).toMatch(/serial/);
    // Signed by the platform but presented under another key's serial.
    unauthorizedBy(() => verifyNotificationSignature({ ...signed(), serial: 'OTHER' }));
    expect(
      unauthorizedBy(() => verifyNotificationSignature({ ...signed(), now: now + 301_000 })).message,
    ).toMatch(/window/);
    unauthorizedBy(() => verifyNotificationSignature({ ...signed(), now: now - 401_000 }));
    expect(() => verifyNotificationSignature({ ...signed(), now: now + 200_000 })).not.toThrow();
    expect(() =>
      verifyNotificationSignature({ ...signed(), now: now + 600_000, maxSkewSeconds: 700 }),
    ).not.toThrow();
    unauthorizedBy(() => verifyNotificationSignature({ ...signed(), signature: '' }));
    unauthorizedBy(() => verifyNotificationSignature({ ...signed(), signature: 'WECHATPAY/SIGNTEST/abc' }));
    unauthorizedBy(() => verifyNotificationSignature({ ...signed(), timestamp: '1700000000.5' }));
    unauthorizedBy(() =>
      verifyNotificationSignature({
        ...signed(),
        platformCertificates: new Map([['PLATFORM1', 'not a pem']]),
      }),
    );
  });

  it('accepts an X.509 platform certificate PEM as well as a bare public key', () => {
    // A self-signed test certificate and a signature its (discarded) private key made over
    // "1700000000\nNONCE123\n{\"id\":\"EV-1\"}\n".
    const cert = `-----BEGIN CERTIFICATE-----
MIIDKTCCAhGgAwIBAgIUUjx+48ERa2xOEbDTJIgUvw114MMwDQYJKoZIhvcNAQEL
BQAwIzEhMB8GA1UEAwwYVGVucGF5LmNvbSBUZXN0IFBsYXRmb3JtMCAXDTI2MTEy
MzEyNTg0NFoYDzIxMjYxMDMwMTI1ODQ0WjAjMSEwHwYDVQQDDBhUZW5wYXkuY29t
IFRlc3QgUGxhdGZvcm0wggEiMA0GCSqGSIb3DQEBAQUAA4IBDwAwggEKAoIBAQC+
GjbRB1INGt6abFXJfPiBYhtDRb5D8cSK7XzmbEYzgkGjffI57XmJnPcH4s/XaVQV
NTgkba20PvCx+YsO9L1QBLhVvg8KkRHGDMC0MgBG1rwD/vDIcDIRCYrUL82ANF10
nfqi7qXX7M5qSYWQ3JDEP+Ic6HjOgH8egwHPwkOfVlis6B4lChpvMWlPkiBM7ISn
vG7XWD9d3CKwtrcgX4Y5sbg/G45psJZbJuy+SQhikxTFvCzWGW9AASrPqDsd/tTb
hy7qrbkPhOGAPBKQxoB4ep/8K+mVxF+oFLXWVtb3Q+QfGPGo9My1NS/LigDgrlfs
u86hzYe846FQoDJaZrDxAgMBAAGjUzBRMB0GA1UdDgQWBBQaU/6jS8mxPLaPyYQO
t0Yyf+5JrDAfBgNVHSMEGDAWgBQaU/6jS8mxPLaPyYQOt0Yyf+5JrDAPBgNVHRMB
Af8EBTADAQH/MA0GCSqGSIb3DQEBCwUAA4IBAQAvnFL7lZX0NOy0cxFlcDzNsYml
v9Vie2b4F07DI9hhHlvfvW41W7SYLLd7dwnyY7BPb/DF8H1m5TG/Z8ONg4K0AslY
bsDlV5biw5XBKJrrsN+F/iM1bTxn7m9zL5q3WEEe1xqwr33TH6MdOyz9Lu6APRT8
X5lZJ2H3H5ZYxF0xiLDhj9wX98zCP1QM4fCIv09t/l2kddE7CDtKshTcDqrLkr4g
aBZO6chl+khZQLJSN+EqHpxQhfU/NHCtBXSZmFjJUSvqJW/48hxtc+brZowlKlk5
Syq5eVX3eoKnxZDLBdOBWQdtc9wQr+6NyQ1J0J/ShlsHKwxhxjPqCGMJaD0V
-----END CERTIFICATE-----`;
    const input = {
      timestamp: 1700000000,
      nonce: 'NONCE123',
      body: '{"id":"EV-1"}',
      signature:
        'QBuMAfZqoATRoX3o/vdbMqvWHyh8O/D6ssyMsomQZT4hjSgj+vumhoT7Ut+20gLqOTOHkeO1hSELWKpC1hgKHRqpiuBmKYo4zqiJK8pqvzdgXyGLX2IyZbTB7SFtKszyA3vIqB1Mf2salfdJu/I2sXBI4JnVeDmc2Kzd1+o7MQM43NB+iUSbGgyfNJ70OKVsQxjlcU7AY86SIOpYPyDeCRGkK3zB3pGNEB9S7svW15liH+jJ4EvixMefPiVFA6JHTDGWp73lmXKs8jrSMt/1f3v4XUjNJuE0Y/ZkjmuqrhnjzRLmlDA+hJSuK6lrZgchnBNWxbkOrszMuIZOwWgIoA==',
      serial: '523C7EE3C1116B6C4E11B0D3248814BF0D75E0C3',
      platformCertificates: new Map([['523C7EE3C1116B6C4E11B0D3248814BF0D75E0C3', cert]]),
      now: 1700000000_000,
    };
    expect(() => verifyNotificationSignature(input)).not.toThrow();
    unauthorizedBy(() => verifyNotificationSignature({ ...input, body: '{"id":"EV-2"}' }));
  });
});
