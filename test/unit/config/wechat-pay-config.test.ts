import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../../src/config/index.js';

const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const privatePem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const publicPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'wechatpay-config-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const configured = {
  WECHATPAY_MCH_ID: '1900000001',
  WECHATPAY_MCH_SERIAL_NO: '3775B6A45ACD588826D15E583A95F5DD9C0A3E9E',
  WECHATPAY_API_V3_KEY: 'a'.repeat(32),
  WECHATPAY_PLATFORM_SERIAL: 'PUB_KEY_ID_0001',
};

describe('WeChat Pay configuration', () => {
  it('falls back to a usable development merchant when nothing is set', () => {
    const { wechatPay } = loadConfig({});
    expect(wechatPay.apiBase).toBe('https://api.mch.weixin.qq.com');
    expect(wechatPay.apiV3Key).toHaveLength(32);
    expect(wechatPay.privateKeyPem).toContain('PRIVATE KEY');
    expect(wechatPay.platformPublicKeyPem).toContain('PUBLIC KEY');
    expect(wechatPay.notifyUrl).toBeUndefined();
  });

  it('reads keys from PEM text with \\n escapes and from files, and then uses no development value', async () => {
    const fromText = loadConfig({
      ...configured,
      WECHATPAY_MCH_PRIVATE_KEY: privatePem.replace(/\n/g, '\\n'),
      WECHATPAY_PLATFORM_PUBLIC_KEY: publicPem,
      WECHATPAY_NOTIFY_URL: 'https://pay.example.com/wx/api/qlive/qlive_pay/notify/',
    });
    expect(fromText.wechatPay.privateKeyPem).toBe(privatePem);
    expect(fromText.wechatPay.notifyUrl).toBe('https://pay.example.com/wx/api/qlive/qlive_pay/notify/');
    expect(fromText.developmentFallbacks.filter((name) => name.startsWith('WECHATPAY_'))).toEqual([]);

    const keyFile = path.join(dir, 'apiclient_key.pem');
    const platformFile = path.join(dir, 'platform.pem');
    await writeFile(keyFile, privatePem);
    await writeFile(platformFile, publicPem);
    const fromFiles = loadConfig({
      ...configured,
      WECHATPAY_MCH_PRIVATE_KEY_FILE: keyFile,
      WECHATPAY_PLATFORM_PUBLIC_KEY_FILE: platformFile,
    });
    expect(fromFiles.wechatPay).toMatchObject({ privateKeyPem: privatePem, platformPublicKeyPem: publicPem });
  });

  it('refuses a key that is not PEM, a missing key file and an APIv3 key of the wrong length', () => {
    expect(() => loadConfig({ WECHATPAY_MCH_PRIVATE_KEY: 'not a key' })).toThrow(
      /WECHATPAY_MCH_PRIVATE_KEY is not a valid PEM key/,
    );
    expect(() => loadConfig({ WECHATPAY_PLATFORM_PUBLIC_KEY_FILE: path.join(dir, 'missing.pem') })).toThrow(
      ConfigError,
    );
    expect(() => loadConfig({ WECHATPAY_API_V3_KEY: 'short' })).toThrow(/WECHATPAY_API_V3_KEY/);
  });
});
