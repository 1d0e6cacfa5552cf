/**
 * The WeChat Pay (API v3) part of the configuration: merchant id, certificate serial, private key,
 * APIv3 key and the platform key that signs notifications. Keys come as PEM text (with literal
 * `\n` escapes, as env files often carry them) or from a file (`*_FILE`). Unset values fall back to
 * development values — one RSA key pair generated per process plays both the merchant and the
 * platform key — so `npm start` works; real payments need the real values.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ConfigError, type RawConfig } from './env.js';

export interface WechatPayConfig {
  mchId: string;
  serialNo: string;
  privateKeyPem: string;
  apiV3Key: string;
  platformSerial: string;
  platformPublicKeyPem: string;
  /** Unset: each order derives it from the request's own host (development). */
  notifyUrl: string | undefined;
  apiBase: string;
  /**
   * Both keys are the generated development pair (it plays merchant and platform), so orders and
   * their payment notifications are made here (src/wechat/development.ts).
   */
  development: boolean;
}

const DEVELOPMENT = {
  WECHATPAY_MCH_ID: '1000000000',
  WECHATPAY_MCH_SERIAL_NO: '0000000000000000000000000000000000DE7E10',
  WECHATPAY_API_V3_KEY: 'development-apiv3-key-0000000000',
  WECHATPAY_PLATFORM_SERIAL: 'DEVELOPMENT_PLATFORM_SERIAL',
} as const;

let developmentKeys: { privateKeyPem: string; publicKeyPem: string } | undefined;

/** Generated once per process, only when a key is missing (RSA generation takes ~100 ms). */
function developmentKeyPair() {
  developmentKeys ??= (() => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    return {
      privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    };
  })();
  return developmentKeys;
}

/** PEM from the variable itself or from the file its _FILE variant names; checked with `check`. */
function pemFrom(
  raw: RawConfig,
  name: 'WECHATPAY_MCH_PRIVATE_KEY' | 'WECHATPAY_PLATFORM_PUBLIC_KEY',
  check: (pem: string) => unknown,
): string | undefined {
  const fileName = `${name}_FILE` as const;
  let pem = raw[name]?.replace(/\\n/g, '\n');
  const file = raw[fileName];
  if (pem === undefined && file !== undefined) {
    try {
      pem = readFileSync(file, 'utf8');
    } catch (error) {
      throw new ConfigError(
        `Invalid configuration:\n  ${fileName} cannot be read (${(error as Error).message})`,
      );
    }
  }
  if (pem === undefined) return undefined;
  try {
    check(pem);
  } catch {
    throw new ConfigError(`Invalid configuration:\n  ${file ? fileName : name} is not a valid PEM key`);
  }
  return pem;
}

export function wechatPayConfig(raw: RawConfig, developmentFallbacks: string[]): WechatPayConfig {
  const orDevelopment = (name: keyof typeof DEVELOPMENT): string => {
    const value = raw[name];
    if (value !== undefined) return value;
    developmentFallbacks.push(name);
    return DEVELOPMENT[name];
  };
  const mchId = orDevelopment('WECHATPAY_MCH_ID');
  const serialNo = orDevelopment('WECHATPAY_MCH_SERIAL_NO');
  let privateKeyPem = pemFrom(raw, 'WECHATPAY_MCH_PRIVATE_KEY', createPrivateKey);
  const developmentKeys = privateKeyPem === undefined;
  if (privateKeyPem === undefined) {
    developmentFallbacks.push('WECHATPAY_MCH_PRIVATE_KEY');
    privateKeyPem = developmentKeyPair().privateKeyPem;
  }
  const apiV3Key = orDevelopment('WECHATPAY_API_V3_KEY');
  const platformSerial = orDevelopment('WECHATPAY_PLATFORM_SERIAL');
  let platformPublicKeyPem = pemFrom(raw, 'WECHATPAY_PLATFORM_PUBLIC_KEY', createPublicKey);
  const developmentPlatform = platformPublicKeyPem === undefined;
  if (platformPublicKeyPem === undefined) {
    developmentFallbacks.push('WECHATPAY_PLATFORM_PUBLIC_KEY');
    platformPublicKeyPem = developmentKeyPair().publicKeyPem;
  }
  return {
    mchId,
    serialNo,
    privateKeyPem,
    apiV3Key,
    platformSerial,
    platformPublicKeyPem,
    notifyUrl: raw.WECHATPAY_NOTIFY_URL,
    apiBase: raw.WECHATPAY_API_BASE.replace(/\/+$/, ''),
    development: developmentKeys && developmentPlatform,
  };
}
