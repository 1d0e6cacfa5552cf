import { generateKeyPairSync } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { ConfigSchema } from '../../../src/config/env.js';
import { ConfigError, loadConfig } from '../../../src/config/index.js';

const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });

const realCredentials = {
  ADMIN_TOKEN: '3f9c2b7e8d1a4c6f9e0b2d4a6c8e0f1a',
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

function refusal(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('loadConfig accepted it');
}

describe('NODE_ENV=production', () => {
  it('refuses to start with no admin token and development vendor credentials, listing each', () => {
    const message = refusal({ NODE_ENV: 'production' });
    expect(message).toContain('Refusing to start with NODE_ENV=production');
    expect(message).toContain('ADMIN_TOKEN is unset');
    for (const name of [
      'TENCENT_SDK_APP_ID',
      'TENCENT_SECRET_KEY',
      'LIVE_PUSH_DOMAIN',
      'LIVE_PLAY_DOMAIN',
      'LIVE_PUSH_KEY',
      'WECHAT_APP_ID',
      'WECHAT_APP_SECRET',
      'WECHATPAY_MCH_ID',
      'WECHATPAY_MCH_SERIAL_NO',
      'WECHATPAY_MCH_PRIVATE_KEY',
      'WECHATPAY_API_V3_KEY',
      'WECHATPAY_PLATFORM_SERIAL',
      'WECHATPAY_PLATFORM_PUBLIC_KEY',
    ]) {
      expect(message).toContain(`${name} is unset, so it would run on a development value`);
    }
  });

  it('refuses the example admin token of the old Compose file and other placeholders', () => {
    for (const token of ['change-me-to-a-long-random-token', 'example-admin-token-123', 'x'.repeat(32)]) {
      const message = refusal({ ...realCredentials, NODE_ENV: 'production', ADMIN_TOKEN: token });
      expect(message).toContain('ADMIN_TOKEN is an example value');
      expect(message).not.toContain('development value');
    }
  });

  it('names only what is still missing', () => {
    const { WECHAT_APP_SECRET: _omitted, ...rest } = realCredentials;
    const message = refusal({ ...rest, NODE_ENV: 'production' });
    expect(message.split('\n').filter((line) => line.startsWith('  '))).toEqual([
      '  WECHAT_APP_SECRET is unset, so it would run on a development value',
    ]);
  });

  it('starts with every credential set', () => {
    const config = loadConfig({ ...realCredentials, NODE_ENV: 'production' });
    expect(config).toMatchObject({ production: true, developmentFallbacks: [] });
  });

  it('keeps development lenient: the same gaps only fall back, logged as such', () => {
    expect(loadConfig({}).developmentFallbacks).toContain('WECHAT_APP_ID');
  });
});

describe('docker-compose.yml', () => {
  it('passes every variable the server reads through to the container', async () => {
    const compose = await readFile('docker-compose.yml', 'utf8');
    const serverBlock = compose.slice(compose.indexOf('  server:'), compose.indexOf('  postgres:'));
    const passed = new Set([...serverBlock.matchAll(/^ {6}([A-Z][A-Z0-9_]*):/gm)].map((match) => match[1]));
    const missing = Object.keys(ConfigSchema.properties).filter((name) => !passed.has(name));
    expect(missing).toEqual([]);
  });

  it('has no default admin token: Compose stops when ADMIN_TOKEN is not set', async () => {
    const compose = await readFile('docker-compose.yml', 'utf8');
    expect(compose).toMatch(/ADMIN_TOKEN: \$\{ADMIN_TOKEN:\?/);
    expect(compose).not.toContain('change-me');
  });
});
