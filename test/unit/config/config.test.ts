import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../../src/config/index.js';

describe('configuration', () => {
  it('runs with no variables at all, on the documented defaults', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      port: 3000,
      host: '127.0.0.1',
      databaseUrl: undefined,
      dataDir: './data',
      redisUrl: undefined,
      redisPrefix: 'co:',
      ringTimeoutMs: 30_000,
      billingIntervalMs: 60_000,
      workerConcurrency: 128,
      disconnectGraceMs: 30_000,
      adminToken: undefined,
    });
    expect(config.wechat.apiBase).toBe('https://api.weixin.qq.com');
  });

  it('lists every vendor credential that fell back to a development value', () => {
    expect(loadConfig({}).developmentFallbacks).toEqual([
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
    ]);
    const configured = loadConfig({
      TENCENT_SDK_APP_ID: '1400123456',
      TENCENT_SECRET_KEY: 'k',
      LIVE_PUSH_DOMAIN: 'push.example.com',
      LIVE_PLAY_DOMAIN: 'play.example.com',
      LIVE_PUSH_KEY: 'p',
      WECHAT_APP_ID: 'wx1',
      WECHAT_APP_SECRET: 's',
    });
    // WeChat Pay's variables are covered by wechat-pay-config.test.ts.
    expect(configured.developmentFallbacks.filter((name) => !name.startsWith('WECHATPAY_'))).toEqual([]);
    expect(configured.tencent.sdkAppId).toBe(1_400_123_456);
  });

  it('reads numbers from strings', () => {
    const config = loadConfig({ PORT: '8080', RING_TIMEOUT_MS: '500', BILLING_INTERVAL_MS: '1000' });
    expect(config.port).toBe(8080);
    expect(config.ringTimeoutMs).toBe(500);
    expect(config.billingIntervalMs).toBe(1000);
  });

  it('names every bad variable and the value it got', () => {
    let error: unknown;
    try {
      loadConfig({
        PORT: 'eighty',
        RING_TIMEOUT_MS: '0',
        REDIS_URL: 'localhost:6379',
        DATABASE_URL: 'mysql://x',
      });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).toContain('PORT must be integer (got "eighty")');
    expect(message).toContain('RING_TIMEOUT_MS must be >= 1 (got "0")');
    expect(message).toContain('REDIS_URL must match pattern');
    expect(message).toContain('DATABASE_URL must match pattern');
  });

  it('rejects a short admin token and inverted price bounds', () => {
    expect(() => loadConfig({ ADMIN_TOKEN: 'short' })).toThrow(
      /ADMIN_TOKEN must NOT have fewer than 16 characters/,
    );
    expect(() => loadConfig({ UNIT_PRICE_MIN: '50', UNIT_PRICE_MAX: '10' })).toThrow(
      /UNIT_PRICE_MIN must be <= UNIT_PRICE_MAX/,
    );
  });

  it('treats an empty variable as unset', () => {
    expect(loadConfig({ PORT: '', DATABASE_URL: '' })).toMatchObject({ port: 3000, databaseUrl: undefined });
  });
});
