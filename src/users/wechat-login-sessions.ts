import { createHash } from 'node:crypto';
import type { RedisClient } from '../redis/connection.js';
import type { Code2Session, WeChatSession } from '../wechat/code2session.js';

export interface LoginSessionsOptions {
  redis: RedisClient;
  prefix: string;
  code2session: Code2Session;
  /** How long a login's session is kept for the user creation that follows it. */
  ttlSeconds?: number;
}

/**
 * Exchanges login codes for WeChat sessions, and bridges QLive's two-step sign-up: a code works
 * only once at WeChat, yet the documented user creation (`POST qlive_user/`) sends a `code` again
 * after `login` answered `status: 1`. So login keeps that unknown user's session (openid + session
 * key) in Redis for a few minutes under a hash of the code, and creation takes it back by the same
 * code; a code creation has not seen before (a fresh `wx.login()`) is exchanged at WeChat.
 */
export function createLoginSessions({ redis, prefix, code2session, ttlSeconds = 300 }: LoginSessionsOptions) {
  // The code is a credential for a few minutes: only its hash is a key.
  const keyOf = (code: string) => `${prefix}wx:login-code:${createHash('sha256').update(code).digest('hex')}`;

  return {
    exchange: (code: string): Promise<WeChatSession> => code2session(code),

    async remember(code: string, session: WeChatSession): Promise<void> {
      await redis.set(keyOf(code), JSON.stringify(session), 'EX', ttlSeconds);
    },

    /** The session kept for this code (once), else a fresh exchange at WeChat. */
    async take(code: string): Promise<WeChatSession> {
      const kept = await redis.getdel(keyOf(code));
      return kept ? (JSON.parse(kept) as WeChatSession) : code2session(code);
    },
  };
}

export type LoginSessions = ReturnType<typeof createLoginSessions>;
