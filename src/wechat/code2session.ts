/**
 * Mini-program login: exchange the `code` from `wx.login()` for the user's openid and session key
 * (`GET /sns/jscode2session`). WeChat answers HTTP 200 even on failure, with `errcode`/`errmsg`;
 * those become domain errors here so routes only ever see 4xx/5xx with a clear reason.
 */
import { type AppError, badRequest, forbidden, tooManyRequests, unavailable } from '../errors.js';
import { parseJsonObject, upstreamRequest } from './http.js';

export interface WeChatSession {
  openid: string;
  /** Key for decrypting `encryptedData` from this login; keep it server-side only. */
  sessionKey: string;
  /** Present when the mini-program is bound to a WeChat Open Platform account. */
  unionid?: string;
}

export interface Code2SessionOptions {
  /** `https://api.weixin.qq.com` in production; a fake server in tests. */
  apiBase: string;
  appId: string;
  appSecret: string;
  timeoutMs?: number;
}

export type Code2Session = (code: string) => Promise<WeChatSession>;

/** The errcode → domain error table (documented WeChat codes; anything else is a 400). */
export function code2SessionError(errcode: number, errmsg: string): AppError {
  switch (errcode) {
    case 40029:
      return badRequest('invalid WeChat login code', 'code');
    case 40163:
      return badRequest('WeChat login code has already been used', 'code');
    case 45011:
      return tooManyRequests('WeChat login is rate limited, try again shortly');
    case 40226:
      return forbidden('WeChat has flagged this account as high risk');
    case -1:
      return unavailable('WeChat is busy, try again');
    // Invalid appid / secret: our configuration is wrong, the client can do nothing about it.
    case 40013:
    case 40125:
      return unavailable('WeChat login is misconfigured on the server');
    default:
      return badRequest(`WeChat login failed: ${errmsg || 'unknown error'} (errcode ${errcode})`, 'code');
  }
}

export function createCode2Session({
  apiBase,
  appId,
  appSecret,
  timeoutMs = 5000,
}: Code2SessionOptions): Code2Session {
  const base = apiBase.replace(/\/+$/, '');
  return async (code) => {
    if (typeof code !== 'string' || code.trim() === '') throw badRequest('code is required', 'code');
    const query = new URLSearchParams({
      appid: appId,
      secret: appSecret,
      js_code: code,
      grant_type: 'authorization_code',
    });
    const res = await upstreamRequest(
      `${base}/sns/jscode2session?${query}`,
      { method: 'GET', timeoutMs },
      'WeChat login',
    );
    const body = parseJsonObject(res.text);
    if (!body || res.status >= 500) throw unavailable('WeChat login answered unexpectedly');
    const errcode = typeof body.errcode === 'number' ? body.errcode : Number(body.errcode ?? 0);
    if (errcode !== 0) {
      throw code2SessionError(Number.isFinite(errcode) ? errcode : -1, String(body.errmsg ?? ''));
    }
    const { openid, session_key: sessionKey, unionid } = body;
    if (typeof openid !== 'string' || !openid || typeof sessionKey !== 'string' || !sessionKey) {
      throw unavailable('WeChat login answered without openid or session_key');
    }
    return typeof unionid === 'string' && unionid ? { openid, sessionKey, unionid } : { openid, sessionKey };
  };
}
