import { eq } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { type User, type UserRole, users } from '../db/schema/index.js';
import { badRequest, forbidden } from '../errors.js';
import { requireAllowed } from '../moderation/ban-policy.js';
import type { RedisClient } from '../redis/connection.js';
import { createCode2Session, type WeChatSession } from '../wechat/code2session.js';
import { createDevelopmentCode2Session } from '../wechat/development.js';
import { type DecryptedUserData, decryptUserData } from '../wechat/user-data.js';
import { issueToken } from './tokens.js';
import type { UsersService } from './users.service.js';
import { createLoginSessions, type LoginSessions } from './wechat-login-sessions.js';

export interface WechatAccountsDeps {
  db: Db;
  users: UsersService;
  sessions: LoginSessions;
  /** Our mini-program: encrypted user data made for another app is refused. */
  appId: string;
  tokenTtlMs: number;
}

export interface EncryptedProfile {
  encryptedData: string;
  iv: string;
}

export interface SignedIn {
  user: User;
  token: string;
}

interface WechatProfile {
  nickname?: string;
  gender?: 0 | 1 | 2;
  headImg?: string;
  area?: string;
}

/** The profile fields of WeChat's user info (getUserInfo / getUserProfile), as far as present. */
function profileOf(data: DecryptedUserData, session: WeChatSession): WechatProfile {
  if (typeof data.openId === 'string' && data.openId !== session.openid)
    throw badRequest('encryptedData belongs to another WeChat user', 'encryptedData');
  const text = (value: unknown, max: number) => (typeof value === 'string' ? value.slice(0, max) : undefined);
  const gender = data.gender === 1 || data.gender === 2 ? data.gender : 0;
  const area = [text(data.province, 32), text(data.city, 32)].filter(Boolean).join(' ');
  const profile: WechatProfile = { gender };
  const nickname = text(data.nickName, 64);
  const headImg = text(data.avatarUrl, 1024);
  if (nickname) profile.nickname = nickname;
  if (headImg) profile.headImg = headImg;
  if (area) profile.area = area;
  return profile;
}

const isUniqueViolation = (error: unknown): boolean => {
  const candidate = error as { code?: unknown; cause?: { code?: unknown } } | undefined;
  return candidate?.code === '23505' || candidate?.cause?.code === '23505';
};

/**
 * Users who sign in with WeChat (both apps share the mini-program's appid): find them by openid,
 * create them from their encrypted WeChat profile, and hand out API tokens.
 */
export function createWechatAccounts(deps: WechatAccountsDeps) {
  const { db } = deps;

  async function byOpenid(openid: string): Promise<User | null> {
    const [user] = await db.select().from(users).where(eq(users.wechatOpenid, openid));
    return user ?? null;
  }

  async function markLogin(user: User): Promise<User> {
    const [updated] = await db
      .update(users)
      .set({ lastLoginAt: new Date() })
      .where(eq(users.id, user.id))
      .returning();
    return updated ?? user;
  }

  async function signIn(user: User): Promise<SignedIn> {
    requireAllowed('maySignIn', user, 'this account is banned');
    return { user: await markLogin(user), token: await issueToken(db, user.id, deps.tokenTtlMs) };
  }

  /** Creates the user, or signs in the one a concurrent request created a moment earlier. */
  async function createOrSignIn(
    session: WeChatSession,
    role: UserRole,
    profile: WechatProfile,
  ): Promise<SignedIn & { created: boolean }> {
    try {
      const { user, token } = await deps.users.create({
        role,
        // Unknown (no profile sent): the role's default gender.
        gender: profile.gender,
        nickname: profile.nickname,
        headImg: profile.headImg,
        area: profile.area,
        wechatOpenid: session.openid,
      });
      return { user: await markLogin(user), token, created: true };
    } catch (error) {
      const existing = isUniqueViolation(error) ? await byOpenid(session.openid) : null;
      if (!existing) throw error;
      return { ...(await signIn(existing)), created: false };
    }
  }

  const decrypt = (session: WeChatSession, encrypted: EncryptedProfile) =>
    profileOf(decryptUserData({ sessionKey: session.sessionKey, appId: deps.appId, ...encrypted }), session);

  return {
    /** QLive login: null for an unknown WeChat user, whose session is kept for the creation call. */
    async login(code: string): Promise<SignedIn | null> {
      const session = await deps.sessions.exchange(code);
      const user = await byOpenid(session.openid);
      if (user) return signIn(user);
      await deps.sessions.remember(code, session);
      return null;
    },

    /**
     * QLive user creation (`POST qlive_user/`): a new user is a `guest`; matchmakers are made by
     * operators (admin API). An openid that already has a user just signs in.
     */
    async register(code: string, encrypted: EncryptedProfile): Promise<SignedIn & { created: boolean }> {
      const session = await deps.sessions.take(code);
      const profile = decrypt(session, encrypted);
      const existing = await byOpenid(session.openid);
      if (existing) return { ...(await signIn(existing)), created: false };
      return createOrSignIn(session, 'guest', profile);
    },

    /** The paid-call apps' login: one call signs in, or signs up with the app's role. */
    async loginWithRole(
      code: string,
      role: 'guest' | 'anchor',
      encrypted?: EncryptedProfile,
    ): Promise<SignedIn & { created: boolean }> {
      const session = await deps.sessions.exchange(code);
      const existing = await byOpenid(session.openid);
      if (existing) {
        if (existing.role !== role)
          throw forbidden(`this WeChat account is registered as ${existing.role}, not ${role}`);
        return { ...(await signIn(existing)), created: false };
      }
      const profile = encrypted ? decrypt(session, encrypted) : {};
      const created = await createOrSignIn(session, role, profile);
      if (created.user.role !== role)
        throw forbidden(`this WeChat account is registered as ${created.user.role}, not ${role}`);
      return created;
    },
  };
}

export type WechatAccounts = ReturnType<typeof createWechatAccounts>;

/**
 * WeChat sign-in as the app context builds it: code2session at `apiBase` (or the development WeChat
 * while the credentials are development values), sessions kept in Redis.
 */
export function createWechatSignIn(deps: {
  db: Db;
  users: UsersService;
  redis: RedisClient;
  prefix: string;
  wechat: { appId: string; appSecret: string; apiBase: string; development?: boolean };
  tokenTtlMs: number;
}): WechatAccounts {
  // Development credentials: nothing at WeChat would accept them, so `dev:<openid>` codes are answered here.
  const code2session = deps.wechat.development
    ? createDevelopmentCode2Session(deps.wechat.appSecret)
    : createCode2Session(deps.wechat);
  return createWechatAccounts({
    db: deps.db,
    users: deps.users,
    sessions: createLoginSessions({ redis: deps.redis, prefix: deps.prefix, code2session }),
    appId: deps.wechat.appId,
    tokenTtlMs: deps.tokenTtlMs,
  });
}
