/**
 * A development WeChat, for trying both apps locally while the WeChat credentials are development
 * values (nothing at WeChat would accept them anyway):
 *
 * - login: the code `dev:<openid>` is answered here instead of by `jscode2session`, with a session
 *   key derived from the app secret and the openid, so encrypted profile data can be made for it
 *   (`npm run dev:wechat -- profile <openid> <nickname>`) and goes through the real decryption;
 * - recharge: the JSAPI order is answered here (a local prepay_id), and the payment notification
 *   WeChat would send after `wx.requestPayment` is built as WeChat builds it (resource AES-256-GCM
 *   encrypted under the APIv3 key, body signed with the platform key — in development the one
 *   generated key pair plays merchant and platform) and POSTed to the server's own notify URL, where
 *   the real verification and the ledger credit it.
 */
import { createCipheriv, createHmac, randomBytes, randomUUID } from 'node:crypto';
import type { WechatPayConfig } from '../config/wechat-pay.js';
import { badRequest } from '../errors.js';
import type { Code2Session, WeChatSession } from './code2session.js';
import { randomNonce, rsaSign, signatureMessage, unixSeconds } from './pay-signing.js';

export const DEVELOPMENT_CODE_PREFIX = 'dev:';
const OPENID = /^[A-Za-z0-9_-]{1,64}$/;

/** The session key WeChat would have issued: 16 bytes, base64, stable per (app secret, openid). */
export function developmentSessionKey(appSecret: string, openid: string): string {
  return createHmac('sha256', appSecret)
    .update(`session-key:${openid}`)
    .digest()
    .subarray(0, 16)
    .toString('base64');
}

export function developmentSession(appSecret: string, code: string): WeChatSession {
  const openid = code.startsWith(DEVELOPMENT_CODE_PREFIX) ? code.slice(DEVELOPMENT_CODE_PREFIX.length) : '';
  if (!OPENID.test(openid)) {
    throw badRequest(
      'WeChat runs on development credentials on this server: log in with the code "dev:<openid>" ' +
        '(letters, digits, _ and -, up to 64), which signs in as that WeChat user',
      'code',
    );
  }
  return { openid, sessionKey: developmentSessionKey(appSecret, openid) };
}

export function createDevelopmentCode2Session(appSecret: string): Code2Session {
  return async (code) => developmentSession(appSecret, code);
}

/** What `wx.getUserProfile` hands the app: the profile encrypted with the login's session key. */
export function encryptDevelopmentProfile(input: {
  appId: string;
  appSecret: string;
  openid: string;
  profile: { nickName: string; gender?: 0 | 1 | 2; avatarUrl?: string; province?: string; city?: string };
}): { encryptedData: string; iv: string } {
  const iv = randomBytes(16);
  const key = Buffer.from(developmentSessionKey(input.appSecret, input.openid), 'base64');
  const plaintext = JSON.stringify({
    openId: input.openid,
    gender: 0,
    ...input.profile,
    watermark: { appid: input.appId, timestamp: unixSeconds() },
  });
  const cipher = createCipheriv('aes-128-cbc', key, iv);
  const encryptedData = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]).toString('base64');
  return { encryptedData, iv: iv.toString('base64') };
}

export function developmentPrepayId(outTradeNo: string): string {
  return `dev_prepay_${outTradeNo}`;
}

export interface PaidOrder {
  outTradeNo: string;
  priceFen: number;
  payerOpenid: string;
  appId: string;
}

/** The TRANSACTION.SUCCESS notification WeChat Pay would send for the order, signed and encrypted. */
export function developmentPaymentNotification(
  pay: WechatPayConfig,
  order: PaidOrder,
): { headers: Record<string, string>; body: string } {
  const beijing = new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 19);
  const transaction = {
    appid: order.appId,
    mchid: pay.mchId,
    out_trade_no: order.outTradeNo,
    transaction_id: `dev${Date.now()}${randomBytes(4).toString('hex')}`,
    trade_type: 'JSAPI',
    trade_state: 'SUCCESS',
    trade_state_desc: '支付成功',
    bank_type: 'OTHERS',
    success_time: `${beijing}+08:00`,
    payer: { openid: order.payerOpenid },
    amount: { total: order.priceFen, payer_total: order.priceFen, currency: 'CNY', payer_currency: 'CNY' },
  };
  const nonce = randomBytes(6).toString('hex');
  const cipher = createCipheriv('aes-256-gcm', Buffer.from(pay.apiV3Key, 'utf8'), Buffer.from(nonce, 'utf8'));
  cipher.setAAD(Buffer.from('transaction', 'utf8'));
  const encrypted = Buffer.concat([cipher.update(JSON.stringify(transaction), 'utf8'), cipher.final()]);
  const body = JSON.stringify({
    id: randomUUID(),
    create_time: `${beijing}+08:00`,
    resource_type: 'encrypt-resource',
    event_type: 'TRANSACTION.SUCCESS',
    summary: '支付成功',
    resource: {
      original_type: 'transaction',
      algorithm: 'AEAD_AES_256_GCM',
      ciphertext: Buffer.concat([encrypted, cipher.getAuthTag()]).toString('base64'),
      associated_data: 'transaction',
      nonce,
    },
  });
  const timestamp = String(unixSeconds());
  const signatureNonce = randomNonce();
  return {
    headers: {
      'content-type': 'application/json',
      'wechatpay-timestamp': timestamp,
      'wechatpay-nonce': signatureNonce,
      'wechatpay-serial': pay.platformSerial,
      'wechatpay-signature-type': 'WECHATPAY2-SHA256-RSA2048',
      'wechatpay-signature': rsaSign(signatureMessage(timestamp, signatureNonce, body), pay.privateKeyPem),
    },
    body,
  };
}
