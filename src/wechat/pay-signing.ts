/**
 * WeChat Pay API v3 signatures (签名 / 验签). Both directions are SHA256withRSA over newline-
 * terminated lines, base64 encoded:
 *   - our requests:        METHOD\nURL_PATH_WITH_QUERY\nTIMESTAMP\nNONCE\nBODY\n, signed with the
 *                          merchant API private key, sent as the Authorization header;
 *   - WeChat's answers and notifications: TIMESTAMP\nNONCE\nBODY\n, signed with the platform key,
 *                          sent as Wechatpay-Timestamp / -Nonce / -Signature / -Serial headers.
 */
import { createPublicKey, randomBytes, sign, verify } from 'node:crypto';
import { unauthorized } from '../errors.js';

export const WECHATPAY_AUTH_SCHEMA = 'WECHATPAY2-SHA256-RSA2048';

/** A request nonce: 32 upper-case hex characters (WeChat allows up to 32). */
export function randomNonce(): string {
  return randomBytes(16).toString('hex').toUpperCase();
}

export function unixSeconds(now: number = Date.now()): number {
  return Math.floor(now / 1000);
}

/** The message format shared by every v3 signature: each part on its own line, last line terminated too. */
export function signatureMessage(...lines: string[]): string {
  return lines.map((line) => `${line}\n`).join('');
}

/** base64 RSA-SHA256 (PKCS#1 v1.5) signature. */
export function rsaSign(message: string, privateKeyPem: string): string {
  return sign('sha256', Buffer.from(message, 'utf8'), privateKeyPem).toString('base64');
}

/**
 * Checks a base64 RSA-SHA256 signature against a public key or an X.509 certificate PEM. Never
 * throws: a malformed key or signature is simply not a valid signature.
 */
export function rsaVerify(message: string, signatureBase64: string, publicKeyOrCertPem: string): boolean {
  try {
    const key = createPublicKey(publicKeyOrCertPem);
    return verify('sha256', Buffer.from(message, 'utf8'), key, Buffer.from(signatureBase64, 'base64'));
  } catch {
    return false;
  }
}

export interface SignRequestInput {
  method: string;
  /** Absolute path with query string, exactly as sent: `/v3/pay/transactions/jsapi`. */
  urlPath: string;
  /** The exact body bytes sent; '' for GET. */
  body?: string;
  mchId: string;
  /** Serial number of the merchant API certificate whose private key signs. */
  serialNo: string;
  privateKeyPem: string;
  nonce?: string;
  /** Unix seconds. */
  timestamp?: number;
}

/** The `Authorization` header value for one v3 request. */
export function signRequest({
  method,
  urlPath,
  body = '',
  mchId,
  serialNo,
  privateKeyPem,
  nonce = randomNonce(),
  timestamp = unixSeconds(),
}: SignRequestInput): string {
  const message = signatureMessage(method.toUpperCase(), urlPath, String(timestamp), nonce, body);
  const signature = rsaSign(message, privateKeyPem);
  return (
    `${WECHATPAY_AUTH_SCHEMA} mchid="${mchId}",nonce_str="${nonce}",signature="${signature}",` +
    `timestamp="${timestamp}",serial_no="${serialNo}"`
  );
}

export interface WechatpaySignedMessage {
  /** Wechatpay-Timestamp (unix seconds, as sent). */
  timestamp: string | number;
  /** Wechatpay-Nonce. */
  nonce: string;
  /** The raw body text, byte for byte (never re-serialised JSON). */
  body: string;
  /** Wechatpay-Signature. */
  signature: string;
  /** Wechatpay-Serial: platform certificate serial or WeChat Pay public key id (PUB_KEY_ID_...). */
  serial: string;
  /** Serial → platform public key or certificate PEM. Several during a certificate rotation. */
  platformCertificates: ReadonlyMap<string, string>;
  /** Epoch ms, for tests. */
  now?: number;
  maxSkewSeconds?: number;
}

/**
 * Verifies a WeChat Pay answer or notification. Throws 401 `unauthorized` when the serial is
 * unknown, the timestamp is more than `maxSkewSeconds` (default 300, WeChat's recommendation)
 * away from now — a replayed old message — or the signature does not match.
 */
export function verifyWechatpaySignature({
  timestamp,
  nonce,
  body,
  signature,
  serial,
  platformCertificates,
  now = Date.now(),
  maxSkewSeconds = 300,
}: WechatpaySignedMessage): void {
  const publicKey = platformCertificates.get(serial);
  if (!publicKey) throw unauthorized('WeChat Pay signature: unknown platform certificate serial');
  const ts = Number(timestamp);
  if (!/^\d+$/.test(String(timestamp)) || !Number.isSafeInteger(ts)) {
    throw unauthorized('WeChat Pay signature: malformed timestamp');
  }
  if (Math.abs(unixSeconds(now) - ts) > maxSkewSeconds) {
    throw unauthorized('WeChat Pay signature: timestamp outside the allowed window');
  }
  if (!signature || !rsaVerify(signatureMessage(String(timestamp), nonce, body), signature, publicKey)) {
    throw unauthorized('WeChat Pay signature: invalid signature');
  }
}
