/**
 * WeChat Pay v3 for a mini-program (JSAPI): place the order server-side to get a `prepay_id`, then
 * sign the parameters `wx.requestPayment` needs. Money is in fen (CNY cents), as WeChat wants it.
 */
import { type AppError, badRequest, conflict, forbidden, tooManyRequests, unavailable } from '../errors.js';
import { parseJsonObject, upstreamRequest } from './http.js';
import {
  randomNonce,
  rsaSign,
  signatureMessage,
  signRequest,
  unixSeconds,
  verifyWechatpaySignature,
} from './pay-signing.js';

export const JSAPI_ORDER_PATH = '/v3/pay/transactions/jsapi';

export interface JsapiOrderInput {
  /** `https://api.mch.weixin.qq.com` in production; a fake server in tests. */
  apiBase: string;
  mchId: string;
  appId: string;
  /** Merchant API certificate serial number. */
  serialNo: string;
  /** Merchant API private key (apiclient_key.pem). */
  privateKeyPem: string;
  /** Shown to the payer; WeChat allows 127 characters. */
  description: string;
  /** Our order id: 6–32 of `[A-Za-z0-9_\-|*]`, unique per merchant. */
  outTradeNo: string;
  /** HTTPS URL without query string that receives the payment notification. */
  notifyUrl: string;
  amountFen: number;
  payerOpenid: string;
  timeoutMs?: number;
  /** Returned as-is in the notification (≤ 128 chars). */
  attach?: string;
  /** When the unpaid order stops being payable. */
  timeExpire?: Date;
  /** When given, the 2xx answer must carry a valid platform signature (WeChat's recommendation). */
  platformCertificates?: ReadonlyMap<string, string>;
}

const OUT_TRADE_NO = /^[A-Za-z0-9_\-|*]{6,32}$/;

/** RFC 3339 in Beijing time, the form WeChat's examples use: 2015-05-20T13:29:35+08:00. */
function rfc3339Beijing(at: Date): string {
  const shifted = new Date(Math.floor(at.getTime() / 1000) * 1000 + 8 * 3600_000);
  return `${shifted.toISOString().slice(0, 19)}+08:00`;
}

/** WeChat Pay v3 error `code` (plus HTTP status) → domain error. */
export function payErrorOf(status: number, code: string, message: string): AppError {
  switch (code) {
    case 'FREQUENCY_LIMITED':
      return tooManyRequests('WeChat Pay is rate limited, try again shortly');
    case 'SYSTEM_ERROR':
    case 'BANK_ERROR':
      return unavailable('WeChat Pay is busy, try again');
    // The merchant setup (key, serial, appid binding, permissions) is wrong: nothing the payer can fix.
    case 'SIGN_ERROR':
    case 'NO_AUTH':
    case 'MCH_NOT_EXISTS':
    case 'APPID_MCHID_NOT_MATCH':
    case 'ACCOUNT_ERROR':
      return unavailable('WeChat Pay is misconfigured on the server');
    case 'ORDERPAID':
    case 'OUT_TRADE_NO_USED':
      return conflict(`WeChat Pay: ${message || code}`);
    case 'RULE_LIMIT':
    case 'TRADE_ERROR':
      return forbidden(`WeChat Pay refused the payment: ${message || code}`);
  }
  if (status === 429) return tooManyRequests('WeChat Pay is rate limited, try again shortly');
  if (status === 401 || status >= 500) return unavailable('WeChat Pay is unavailable');
  return badRequest(`WeChat Pay: ${message || code || `HTTP ${status}`}`);
}

/** Places a JSAPI order; resolves to the `prepay_id` the mini-program pays with (valid 2 hours). */
export async function createJsapiOrder(input: JsapiOrderInput): Promise<{ prepayId: string }> {
  const { apiBase, mchId, appId, serialNo, privateKeyPem, outTradeNo, amountFen } = input;
  if (!Number.isSafeInteger(amountFen) || amountFen <= 0)
    throw new TypeError('amountFen must be a positive integer');
  if (!OUT_TRADE_NO.test(outTradeNo)) throw new TypeError(`invalid outTradeNo: ${outTradeNo}`);
  if (!input.payerOpenid) throw badRequest('the payer has no WeChat openid', 'openid');

  const body = JSON.stringify({
    appid: appId,
    mchid: mchId,
    description: [...input.description].slice(0, 127).join(''), // by code point, never half a character
    out_trade_no: outTradeNo,
    ...(input.timeExpire ? { time_expire: rfc3339Beijing(input.timeExpire) } : {}),
    ...(input.attach ? { attach: input.attach } : {}),
    notify_url: input.notifyUrl,
    amount: { total: amountFen, currency: 'CNY' },
    payer: { openid: input.payerOpenid },
  });
  const authorization = signRequest({
    method: 'POST',
    urlPath: JSAPI_ORDER_PATH,
    body,
    mchId,
    serialNo,
    privateKeyPem,
  });
  const res = await upstreamRequest(
    `${apiBase.replace(/\/+$/, '')}${JSAPI_ORDER_PATH}`,
    {
      method: 'POST',
      headers: {
        Authorization: authorization,
        Accept: 'application/json',
        'Content-Type': 'application/json',
        'User-Agent': 'call-orchestrator',
      },
      body,
      timeoutMs: input.timeoutMs ?? 5000,
    },
    'WeChat Pay',
  );
  const json = parseJsonObject(res.text);
  if (res.status < 200 || res.status >= 300) {
    throw payErrorOf(res.status, String(json?.code ?? ''), String(json?.message ?? ''));
  }
  if (input.platformCertificates) {
    try {
      verifyWechatpaySignature({
        timestamp: res.headers.get('wechatpay-timestamp') ?? '',
        nonce: res.headers.get('wechatpay-nonce') ?? '',
        body: res.text,
        signature: res.headers.get('wechatpay-signature') ?? '',
        serial: res.headers.get('wechatpay-serial') ?? '',
        platformCertificates: input.platformCertificates,
      });
    } catch {
      // A forged or garbled answer: do not hand its prepay_id to the client.
      throw unavailable('WeChat Pay answer failed signature verification');
    }
  }
  const prepayId = json?.prepay_id;
  if (typeof prepayId !== 'string' || !prepayId) throw unavailable('WeChat Pay answered without prepay_id');
  return { prepayId };
}

export interface MiniProgramPaymentParams {
  timeStamp: string;
  nonceStr: string;
  package: string;
  signType: 'RSA';
  paySign: string;
}

/** The object the mini-program passes to `wx.requestPayment`, signed with the merchant key. */
export function miniProgramPaymentParams({
  appId,
  prepayId,
  privateKeyPem,
  nonce = randomNonce(),
  timestamp = unixSeconds(),
}: {
  appId: string;
  prepayId: string;
  privateKeyPem: string;
  nonce?: string;
  /** Unix seconds. */
  timestamp?: number;
}): MiniProgramPaymentParams {
  const timeStamp = String(timestamp);
  const pkg = `prepay_id=${prepayId}`;
  const paySign = rsaSign(signatureMessage(appId, timeStamp, nonce, pkg), privateKeyPem);
  return { timeStamp, nonceStr: nonce, package: pkg, signType: 'RSA', paySign };
}
