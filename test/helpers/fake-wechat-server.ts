/**
 * A real HTTP server on 127.0.0.1 that plays WeChat for tests:
 *   GET  /sns/jscode2session         mini-program login (codes registered by the test)
 *   POST /v3/pay/transactions/jsapi  WeChat Pay order: checks the merchant's v3 signature with the
 *                                    public key the test registered, records the order, answers a
 *                                    prepay_id signed with the platform key this server owns
 * and `notifyPaid()`, which POSTs a real v3 payment notification (platform-signed, resource
 * AES-256-GCM-encrypted under the APIv3 key) to the server under test.
 * Also exports the encryption helpers tests need to make WeChat-style vectors.
 */
import { createCipheriv, generateKeyPairSync, randomBytes, randomUUID, sign, verify } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

// ---------- vector makers ----------

/** The inverse of decryptUserData: AES-128-CBC, PKCS#7, base64 in and out. */
export function encryptUserData({
  sessionKey,
  iv,
  data,
}: {
  sessionKey: string;
  iv: string;
  data: unknown;
}): string {
  const cipher = createCipheriv('aes-128-cbc', Buffer.from(sessionKey, 'base64'), Buffer.from(iv, 'base64'));
  const plaintext = typeof data === 'string' ? data : JSON.stringify(data);
  return Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]).toString('base64');
}

/** The inverse of decryptNotificationResource: base64(AES-256-GCM ciphertext || 16-byte tag). */
export function encryptNotificationResource({
  apiV3Key,
  associatedData,
  nonce,
  plaintext,
}: {
  apiV3Key: string;
  associatedData: string;
  nonce: string;
  plaintext: string;
}): string {
  const cipher = createCipheriv('aes-256-gcm', Buffer.from(apiV3Key, 'utf8'), Buffer.from(nonce, 'utf8'));
  cipher.setAAD(Buffer.from(associatedData, 'utf8'));
  const encrypted = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return Buffer.concat([encrypted, cipher.getAuthTag()]).toString('base64');
}

export function generateRsaKeyPair(): { privateKeyPem: string; publicKeyPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

/** Random characters from [A-Za-z0-9], the alphabet WeChat uses for nonces. */
export function randomAlnum(length: number): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  return Array.from(randomBytes(length), (b) => alphabet[b % alphabet.length]).join('');
}

/** Parses `WECHATPAY2-SHA256-RSA2048 mchid="..",nonce_str="..",...` into its fields. */
export function parseWechatpayAuthorization(header: string | undefined): Record<string, string> | undefined {
  const schema = 'WECHATPAY2-SHA256-RSA2048 ';
  if (!header?.startsWith(schema)) return undefined;
  const fields: Record<string, string> = {};
  for (const match of header.slice(schema.length).matchAll(/(\w+)="([^"]*)"/g)) {
    fields[match[1] as string] = match[2] as string;
  }
  return fields;
}

const unix = (ms = Date.now()) => Math.floor(ms / 1000);
const sigMessage = (...lines: string[]) => lines.map((l) => `${l}\n`).join('');

// ---------- the server ----------

export type FakeSession = { openid: string; sessionKey: string; unionid?: string };
export type FakeCodeError = { errcode: number; errmsg?: string };

export interface FakeOrder {
  appid: string;
  mchid: string;
  description: string;
  out_trade_no: string;
  notify_url: string;
  attach?: string;
  time_expire?: string;
  amount: { total: number; currency: string };
  payer: { openid: string };
  prepayId: string;
  state: 'NOTPAY' | 'SUCCESS';
  transactionId?: string;
  /** The exact JSON body the merchant sent. */
  rawBody: string;
}

/** A JSAPI order body as received: nothing is trusted until checked. */
interface OrderBody {
  appid?: unknown;
  mchid?: unknown;
  description?: unknown;
  out_trade_no?: unknown;
  notify_url?: unknown;
  attach?: unknown;
  time_expire?: unknown;
  amount?: { total?: unknown; currency?: unknown };
  payer?: { openid?: unknown };
}

export interface NotifyOptions {
  /** Wechatpay-Timestamp to sign with (unix seconds); default now. For replay tests. */
  timestamp?: number;
  /** Change one byte of the body after signing, so the signature no longer matches. */
  tamper?: boolean;
  /** Fields to override in the decrypted transaction (e.g. a different amount). */
  transaction?: Record<string, unknown>;
}

export interface FakeWeChatServer {
  url: string;
  appId: string;
  appSecret: string;
  apiV3Key: string;
  platformSerial: string;
  platformPublicKeyPem: string;
  /** Serial → public key, ready to pass as `platformCertificates`. */
  platformCertificates: Map<string, string>;
  /** Orders by out_trade_no. */
  orders: Map<string, FakeOrder>;
  /** Every notification sent, in order. */
  notifications: { url: string; status: number; body: string }[];
  registerCode(code: string, result: FakeSession | FakeCodeError): void;
  registerMerchant(merchant: { mchId: string; serialNo: string; publicKeyPem: string }): void;
  /** The next JSAPI order call fails with this WeChat Pay error. */
  failNextOrder(error: { status: number; code: string; message?: string }): void;
  /** Wechatpay-* headers for `body`, signed with the platform key. */
  platformHeaders(body: string, timestamp?: number): Record<string, string>;
  /** POSTs a TRANSACTION.SUCCESS notification for the order; resolves to the HTTP status answered. */
  notifyPaid(order: FakeOrder | string, notifyUrl?: string, options?: NotifyOptions): Promise<number>;
  close(): Promise<void>;
}

export async function startFakeWeChatServer(
  options: { appId?: string; appSecret?: string; apiV3Key?: string } = {},
): Promise<FakeWeChatServer> {
  const appId = options.appId ?? 'wx00000000000fake';
  const appSecret = options.appSecret ?? 'fake-app-secret';
  const apiV3Key = options.apiV3Key ?? randomAlnum(32);
  const platform = generateRsaKeyPair();
  const platformSerial = randomBytes(20).toString('hex').toUpperCase();

  const codes = new Map<string, FakeSession | FakeCodeError>();
  const usedCodes = new Set<string>();
  const merchants = new Map<string, { serialNo: string; publicKeyPem: string }>();
  const orders = new Map<string, FakeOrder>();
  const notifications: FakeWeChatServer['notifications'] = [];
  let nextOrderError: { status: number; code: string; message?: string } | undefined;

  function platformHeaders(body: string, timestamp = unix()): Record<string, string> {
    const nonce = randomAlnum(32);
    const signature = sign(
      'sha256',
      Buffer.from(sigMessage(String(timestamp), nonce, body)),
      platform.privateKeyPem,
    ).toString('base64');
    return {
      'Wechatpay-Timestamp': String(timestamp),
      'Wechatpay-Nonce': nonce,
      'Wechatpay-Signature': signature,
      'Wechatpay-Serial': platformSerial,
      'Wechatpay-Signature-Type': 'WECHATPAY2-SHA256-RSA2048',
    };
  }

  function sendJson(res: ServerResponse, status: number, body: unknown, contentType = 'application/json') {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'Content-Type': `${contentType}; charset=utf-8`, ...platformHeaders(text) });
    res.end(text);
  }

  function jscode2session(url: URL, res: ServerResponse) {
    // The real endpoint answers 200 with text/plain even for errors.
    const reply = (body: unknown) => sendJson(res, 200, body, 'text/plain');
    const q = url.searchParams;
    if (q.get('appid') !== appId) return reply({ errcode: 40013, errmsg: 'invalid appid' });
    if (q.get('secret') !== appSecret) return reply({ errcode: 40125, errmsg: 'invalid appsecret' });
    if (q.get('grant_type') !== 'authorization_code')
      return reply({ errcode: 40002, errmsg: 'invalid grant_type' });
    const code = q.get('js_code') ?? '';
    if (!code) return reply({ errcode: 41008, errmsg: 'missing code' });
    const result = codes.get(code);
    if (!result) return reply({ errcode: 40029, errmsg: 'invalid code' });
    if ('errcode' in result) return reply({ errcode: result.errcode, errmsg: result.errmsg ?? 'error' });
    if (usedCodes.has(code)) return reply({ errcode: 40163, errmsg: 'code been used' });
    usedCodes.add(code);
    return reply({
      session_key: result.sessionKey,
      openid: result.openid,
      ...(result.unionid ? { unionid: result.unionid } : {}),
    });
  }

  function jsapiOrder(req: IncomingMessage, rawBody: string, res: ServerResponse) {
    const fail = (status: number, code: string, message: string) => sendJson(res, status, { code, message });
    const auth = parseWechatpayAuthorization(req.headers.authorization);
    const merchant = auth?.mchid ? merchants.get(auth.mchid) : undefined;
    if (!auth || !merchant || auth.serial_no !== merchant.serialNo) {
      return fail(401, 'SIGN_ERROR', 'unknown merchant or certificate serial');
    }
    const message = sigMessage('POST', req.url ?? '', auth.timestamp ?? '', auth.nonce_str ?? '', rawBody);
    const signatureOk = (() => {
      try {
        return verify(
          'sha256',
          Buffer.from(message),
          merchant.publicKeyPem,
          Buffer.from(auth.signature ?? '', 'base64'),
        );
      } catch {
        return false;
      }
    })();
    if (!signatureOk || Math.abs(unix() - Number(auth.timestamp)) > 300) {
      return fail(401, 'SIGN_ERROR', 'signature verification failed');
    }
    if (nextOrderError) {
      const error = nextOrderError;
      nextOrderError = undefined;
      return fail(error.status, error.code, error.message ?? error.code);
    }
    let body: OrderBody;
    try {
      body = JSON.parse(rawBody) as OrderBody;
    } catch {
      return fail(400, 'PARAM_ERROR', 'body is not JSON');
    }
    if (body.mchid !== auth.mchid) return fail(400, 'PARAM_ERROR', 'mchid does not match the signer');
    if (body.appid !== appId) return fail(400, 'APPID_MCHID_NOT_MATCH', 'appid and mchid do not match');
    const { description, out_trade_no, notify_url, amount, payer } = body;
    const total = amount?.total;
    if (
      typeof description !== 'string' ||
      typeof out_trade_no !== 'string' ||
      typeof notify_url !== 'string' ||
      typeof total !== 'number' ||
      !Number.isSafeInteger(total) ||
      total <= 0 ||
      typeof payer?.openid !== 'string'
    ) {
      return fail(400, 'PARAM_ERROR', 'missing or invalid parameters');
    }
    const existing = orders.get(out_trade_no);
    if (existing) {
      if (existing.state === 'SUCCESS') return fail(400, 'ORDERPAID', 'order already paid');
      // Re-placing an order with identical parameters is allowed and returns the same prepay_id.
      if (existing.rawBody !== rawBody) return fail(400, 'INVALID_REQUEST', '201 商户订单号重复');
      return sendJson(res, 200, { prepay_id: existing.prepayId });
    }
    const order: FakeOrder = {
      appid: appId,
      mchid: auth.mchid ?? '',
      description,
      out_trade_no,
      notify_url,
      ...(typeof body.attach === 'string' ? { attach: body.attach } : {}),
      ...(typeof body.time_expire === 'string' ? { time_expire: body.time_expire } : {}),
      amount: { total, currency: typeof amount?.currency === 'string' ? amount.currency : 'CNY' },
      payer: { openid: payer.openid },
      prepayId: `wx${Date.now()}${randomBytes(8).toString('hex')}`,
      state: 'NOTPAY',
      rawBody,
    };
    orders.set(order.out_trade_no, order);
    return sendJson(res, 200, { prepay_id: order.prepayId });
  }

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const rawBody = Buffer.concat(chunks).toString('utf8');
      if (req.method === 'GET' && url.pathname === '/sns/jscode2session') return jscode2session(url, res);
      if (req.method === 'POST' && url.pathname === '/v3/pay/transactions/jsapi')
        return jsapiOrder(req, rawBody, res);
      sendJson(res, 404, { code: 'NOT_FOUND', message: 'no such endpoint' });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  async function notifyPaid(orderOrNo: FakeOrder | string, notifyUrl?: string, opts: NotifyOptions = {}) {
    const order = typeof orderOrNo === 'string' ? orders.get(orderOrNo) : orderOrNo;
    if (!order) throw new Error(`fake WeChat: no order ${String(orderOrNo)}`);
    order.state = 'SUCCESS';
    order.transactionId ??= `4200${Date.now()}${randomBytes(4).toString('hex')}`;
    const paidAt = new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 19);
    const transaction = {
      appid: order.appid,
      mchid: order.mchid,
      out_trade_no: order.out_trade_no,
      transaction_id: order.transactionId,
      trade_type: 'JSAPI',
      trade_state: 'SUCCESS',
      trade_state_desc: '支付成功',
      bank_type: 'OTHERS',
      ...(order.attach ? { attach: order.attach } : {}),
      success_time: `${paidAt}+08:00`,
      payer: { openid: order.payer.openid },
      amount: {
        total: order.amount.total,
        payer_total: order.amount.total,
        currency: 'CNY',
        payer_currency: 'CNY',
      },
      ...opts.transaction,
    };
    const nonce = randomAlnum(12);
    const body = JSON.stringify({
      id: randomUUID(),
      create_time: `${paidAt}+08:00`,
      resource_type: 'encrypt-resource',
      event_type: 'TRANSACTION.SUCCESS',
      summary: '支付成功',
      resource: {
        original_type: 'transaction',
        algorithm: 'AEAD_AES_256_GCM',
        ciphertext: encryptNotificationResource({
          apiV3Key,
          associatedData: 'transaction',
          nonce,
          plaintext: JSON.stringify(transaction),
        }),
        associated_data: 'transaction',
        nonce,
      },
    });
    const headers = platformHeaders(body, opts.timestamp);
    const sent = opts.tamper ? body.replace('支付成功', '支付失败') : body;
    const target = notifyUrl ?? order.notify_url;
    const res = await fetch(target, {
      method: 'POST',
      headers: { ...headers, 'Content-Type': 'application/json', 'User-Agent': 'Mozilla/4.0' },
      body: sent,
    });
    await res.arrayBuffer();
    notifications.push({ url: target, status: res.status, body: sent });
    return res.status;
  }

  return {
    url: `http://127.0.0.1:${port}`,
    appId,
    appSecret,
    apiV3Key,
    platformSerial,
    platformPublicKeyPem: platform.publicKeyPem,
    platformCertificates: new Map([[platformSerial, platform.publicKeyPem]]),
    orders,
    notifications,
    registerCode: (code, result) => void codes.set(code, result),
    registerMerchant: ({ mchId, serialNo, publicKeyPem }) =>
      void merchants.set(mchId, { serialNo, publicKeyPem }),
    failNextOrder: (error) => {
      nextOrderError = error;
    },
    platformHeaders,
    notifyPaid,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
