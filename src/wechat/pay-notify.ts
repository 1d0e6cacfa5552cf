/**
 * WeChat Pay v3 payment notifications (支付结果通知). WeChat POSTs a JSON envelope signed with its
 * platform key; the payment itself is in `resource`, encrypted with AEAD_AES_256_GCM under our
 * APIv3 key (32-byte key, 12-byte nonce, 16-byte tag appended to the base64 ciphertext).
 * Order of work: verify the signature over the raw body, then decrypt, then trust.
 * WeChat retries until it gets a 2xx (200 or 204, empty body), so whoever credits the payment must
 * be idempotent on `out_trade_no`.
 */
import { createDecipheriv } from 'node:crypto';
import { badRequest, unauthorized } from '../errors.js';
import { parseJsonObject } from './http.js';
import { verifyWechatpaySignature, type WechatpaySignedMessage } from './pay-signing.js';

/**
 * Throws 401 `unauthorized` on an unknown serial, a timestamp outside ±maxSkewSeconds (replay) or
 * a bad signature. Notifications and API answers are signed the same way.
 */
export function verifyNotificationSignature(input: WechatpaySignedMessage): void {
  verifyWechatpaySignature(input);
}

export interface EncryptedResource {
  /** The merchant's APIv3 key: exactly 32 ASCII characters. */
  apiV3Key: string;
  associatedData: string;
  nonce: string;
  /** base64(ciphertext || 16-byte GCM tag). */
  ciphertext: string;
}

const GCM_TAG_BYTES = 16;

export function apiV3KeyBytes(apiV3Key: string): Buffer {
  const key = Buffer.from(apiV3Key, 'utf8');
  if (key.length !== 32) throw new TypeError('the WeChat Pay APIv3 key must be 32 bytes');
  return key;
}

/** Decrypts and parses a notification `resource`. A tampered or foreign resource is a 401, not a crash. */
export function decryptNotificationResource<T = unknown>({
  apiV3Key,
  associatedData,
  nonce,
  ciphertext,
}: EncryptedResource): T {
  const key = apiV3KeyBytes(apiV3Key);
  const data = Buffer.from(ciphertext, 'base64');
  if (data.length <= GCM_TAG_BYTES || !nonce)
    throw badRequest('notification resource is malformed', 'resource');
  let plaintext: string;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(nonce, 'utf8'), {
      authTagLength: GCM_TAG_BYTES,
    });
    decipher.setAuthTag(data.subarray(data.length - GCM_TAG_BYTES));
    decipher.setAAD(Buffer.from(associatedData, 'utf8'));
    plaintext = Buffer.concat([
      decipher.update(data.subarray(0, data.length - GCM_TAG_BYTES)),
      decipher.final(),
    ]).toString('utf8');
  } catch {
    // GCM authentication failed: tampered, or encrypted under another APIv3 key.
    throw unauthorized('notification resource failed authentication');
  }
  try {
    return JSON.parse(plaintext) as T;
  } catch {
    throw badRequest('notification resource is not JSON', 'resource');
  }
}

/** The decrypted `transaction` of a payment notification (the fields we rely on). */
export interface PaidTransaction {
  appid: string;
  mchid: string;
  out_trade_no: string;
  transaction_id: string;
  trade_type?: string;
  /** SUCCESS for a paid order; TRANSACTION.SUCCESS notifications always carry SUCCESS. */
  trade_state: string;
  trade_state_desc?: string;
  success_time?: string;
  attach?: string;
  payer?: { openid?: string };
  amount: { total: number; payer_total?: number; currency?: string; payer_currency?: string };
}

export interface PaymentNotification {
  /** The notification id; the same payment may be notified several times. */
  id: string;
  /** TRANSACTION.SUCCESS for a paid order. */
  eventType: string;
  createTime?: string;
  transaction: PaidTransaction;
}

type HeaderBag = Record<string, string | string[] | undefined>;

function header(headers: HeaderBag, name: string): string {
  const value = headers[name] ?? headers[name.toLowerCase()];
  return (Array.isArray(value) ? value[0] : value) ?? '';
}

/**
 * Verifies, decrypts and checks one notification request. `headers` are Node's (lower-case keys),
 * `body` the raw request text. The caller must still compare `transaction.mchid`, `appid` and
 * `amount.total` with its own order before crediting.
 */
export function parsePaymentNotification({
  headers,
  body,
  platformCertificates,
  apiV3Key,
  now,
  maxSkewSeconds,
}: {
  headers: HeaderBag;
  body: string;
  platformCertificates: ReadonlyMap<string, string>;
  apiV3Key: string;
  now?: number;
  maxSkewSeconds?: number;
}): PaymentNotification {
  verifyNotificationSignature({
    timestamp: header(headers, 'wechatpay-timestamp'),
    nonce: header(headers, 'wechatpay-nonce'),
    signature: header(headers, 'wechatpay-signature'),
    serial: header(headers, 'wechatpay-serial'),
    body,
    platformCertificates,
    now,
    maxSkewSeconds,
  });
  const envelope = parseJsonObject(body);
  const resource = envelope?.resource as Record<string, unknown> | undefined;
  if (!envelope || typeof resource !== 'object' || resource === null || typeof envelope.id !== 'string') {
    throw badRequest('notification body is malformed', 'resource');
  }
  if (resource.algorithm !== 'AEAD_AES_256_GCM')
    throw badRequest('unsupported notification algorithm', 'resource');
  const transaction = decryptNotificationResource<PaidTransaction>({
    apiV3Key,
    associatedData: typeof resource.associated_data === 'string' ? resource.associated_data : '',
    nonce: String(resource.nonce ?? ''),
    ciphertext: String(resource.ciphertext ?? ''),
  });
  if (
    typeof transaction !== 'object' ||
    transaction === null ||
    typeof transaction.out_trade_no !== 'string' ||
    typeof transaction.trade_state !== 'string' ||
    !Number.isSafeInteger(transaction.amount?.total)
  ) {
    throw badRequest('notification transaction is malformed', 'resource');
  }
  return {
    id: envelope.id,
    eventType: String(envelope.event_type ?? ''),
    ...(typeof envelope.create_time === 'string' ? { createTime: envelope.create_time } : {}),
    transaction,
  };
}
