import { ConfigError, type RawConfig, readEnv } from './env.js';
import { type WechatPayConfig, wechatPayConfig } from './wechat-pay.js';

export { ConfigError };

/** Routes limited together: applying by callGirl or by callApplyGirl spends the same allowance. */
export const RATE_FAMILIES = ['applies', 'startCall', 'gifts', 'orders', 'logins'] as const;
export type RateFamily = (typeof RATE_FAMILIES)[number];
export type RateLimitsPerMinute = Record<RateFamily, number>;

export interface AppConfig {
  nodeEnv: string | undefined;
  production: boolean;
  port: number;
  host: string;
  databaseUrl: string | undefined;
  dataDir: string;
  /** Unset: the private Redis in DATA_DIR (src/redis/private-redis.ts). */
  redisUrl: string | undefined;
  /** REDIS_URL names a Redis Cluster (several nodes, or REDIS_CLUSTER=1). */
  redisCluster: boolean;
  redisPrefix: string;
  adminToken: string | undefined;
  ringTimeoutMs: number;
  billingIntervalMs: number;
  workerConcurrency: number;
  disconnectGraceMs: number;
  reconcileEveryMs: number;
  diamondsPerPoint: number;
  unitPrice: { min: number; max: number; default: number };
  tokenTtlMs: number;
  authCacheMs: number;
  userRowCacheMs: number;
  tencent: {
    sdkAppId: number;
    secretKey: string;
    pushDomain: string;
    playDomain: string;
    pushKey: string;
    /** Play domain anti-leech key (defaults to the push key). */
    playKey: string;
    /** CSS bizid; '' when not set. */
    bizId: string;
    urlTtlSeconds: number;
    im: {
      apiBase: string;
      admin: string;
      callbackToken: string | undefined;
      timeoutMs: number;
      maxBackoffMs: number;
      ratePerSecond: number;
    };
  };
  roomService: {
    heartbeatTimeoutMs: number;
    emptyRoomTimeoutMs: number;
    /** Tencent's stream-mixing API; null when not configured. */
    mixing: { apiBase: string; appId: string; apiKey: string } | null;
  };
  /** development: the app secret is a development value, so logins use the development WeChat (src/wechat/development.ts). */
  wechat: { appId: string; appSecret: string; apiBase: string; development: boolean };
  wechatPay: WechatPayConfig;
  rateLimitPerMinute: number;
  /** Allowance per minute and caller of each family of limited routes. */
  rateLimits: RateLimitsPerMinute;
  bodyLimitBytes: number;
  docsEnabled: boolean;
  /** token null: /metrics needs none (outside production only). */
  metrics: { enabled: boolean; token: string | null };
  logLevel: RawConfig['LOG_LEVEL'];
  /** Names of the variables that fell back to development values; logged at start. */
  developmentFallbacks: string[];
}

/** Values that let a new user try everything locally; never valid against the real vendors. */
const DEVELOPMENT_VALUES = {
  TENCENT_SDK_APP_ID: 1_400_000_000,
  TENCENT_SECRET_KEY: 'development-secret-key-not-for-production',
  LIVE_PUSH_DOMAIN: 'push.live.localhost',
  LIVE_PLAY_DOMAIN: 'play.live.localhost',
  LIVE_PUSH_KEY: 'development-push-key',
  WECHAT_APP_ID: 'wxdevelopment0000',
  WECHAT_APP_SECRET: 'development-app-secret',
} as const;

function redisCluster(raw: RawConfig): boolean {
  const cluster =
    raw.REDIS_CLUSTER === '1' || raw.REDIS_CLUSTER === 'true' || (raw.REDIS_URL ?? '').includes(',');
  if (cluster && !raw.REDIS_URL)
    throw new ConfigError(
      'Invalid configuration:\n  REDIS_CLUSTER=1 needs REDIS_URL (a seed node of the cluster)',
    );
  return cluster;
}

export function loadConfig(env: Record<string, string | undefined> = process.env): AppConfig {
  const raw = readEnv(env);
  const developmentFallbacks: string[] = [];
  const orDevelopment = <K extends keyof typeof DEVELOPMENT_VALUES>(
    name: K,
  ): (typeof DEVELOPMENT_VALUES)[K] => {
    const value = raw[name];
    if (value !== undefined) return value as (typeof DEVELOPMENT_VALUES)[K];
    developmentFallbacks.push(name);
    return DEVELOPMENT_VALUES[name];
  };
  if (raw.UNIT_PRICE_MIN > raw.UNIT_PRICE_MAX) {
    throw new ConfigError('Invalid configuration:\n  UNIT_PRICE_MIN must be <= UNIT_PRICE_MAX');
  }
  const production = raw.NODE_ENV === 'production';
  const config: AppConfig = {
    nodeEnv: raw.NODE_ENV,
    production,
    port: raw.PORT,
    host: raw.HOST,
    databaseUrl: raw.DATABASE_URL,
    dataDir: raw.DATA_DIR,
    redisUrl: raw.REDIS_URL,
    redisCluster: redisCluster(raw),
    redisPrefix: raw.REDIS_PREFIX,
    adminToken: raw.ADMIN_TOKEN,
    ringTimeoutMs: raw.RING_TIMEOUT_MS,
    billingIntervalMs: raw.BILLING_INTERVAL_MS,
    workerConcurrency: raw.WORKER_CONCURRENCY,
    disconnectGraceMs: raw.DISCONNECT_GRACE_MS,
    reconcileEveryMs: raw.RECONCILE_EVERY_MS,
    diamondsPerPoint: raw.DIAMONDS_PER_POINT,
    unitPrice: { min: raw.UNIT_PRICE_MIN, max: raw.UNIT_PRICE_MAX, default: raw.DEFAULT_UNIT_PRICE },
    tokenTtlMs: raw.TOKEN_TTL_DAYS * 24 * 60 * 60 * 1000,
    authCacheMs: raw.AUTH_CACHE_MS,
    userRowCacheMs: raw.USER_ROW_CACHE_MS,
    tencent: {
      sdkAppId: orDevelopment('TENCENT_SDK_APP_ID'),
      secretKey: orDevelopment('TENCENT_SECRET_KEY'),
      pushDomain: orDevelopment('LIVE_PUSH_DOMAIN'),
      playDomain: orDevelopment('LIVE_PLAY_DOMAIN'),
      pushKey: orDevelopment('LIVE_PUSH_KEY'),
      playKey: raw.LIVE_PLAY_KEY ?? raw.LIVE_PUSH_KEY ?? DEVELOPMENT_VALUES.LIVE_PUSH_KEY,
      bizId: raw.LIVE_BIZID ?? '',
      urlTtlSeconds: raw.LIVE_URL_TTL_SECONDS,
      im: {
        apiBase: raw.TENCENT_IM_API_BASE.replace(/\/+$/, ''),
        admin: raw.TENCENT_IM_ADMIN,
        callbackToken: raw.TENCENT_IM_CALLBACK_TOKEN,
        timeoutMs: raw.TENCENT_IM_TIMEOUT_MS,
        maxBackoffMs: raw.TENCENT_IM_MAX_BACKOFF_MS,
        ratePerSecond: raw.TENCENT_IM_RATE_PER_SECOND,
      },
    },
    roomService: {
      heartbeatTimeoutMs: raw.ROOMSERVICE_HEARTBEAT_TIMEOUT_MS,
      emptyRoomTimeoutMs: raw.ROOMSERVICE_EMPTY_ROOM_TIMEOUT_MS,
      mixing:
        raw.LIVE_API_APP_ID && raw.LIVE_API_KEY
          ? {
              apiBase: raw.LIVE_API_BASE.replace(/\/+$/, ''),
              appId: raw.LIVE_API_APP_ID,
              apiKey: raw.LIVE_API_KEY,
            }
          : null,
    },
    wechat: {
      appId: orDevelopment('WECHAT_APP_ID'),
      appSecret: orDevelopment('WECHAT_APP_SECRET'),
      apiBase: raw.WECHAT_API_BASE.replace(/\/+$/, ''),
      development: raw.WECHAT_APP_SECRET === undefined,
    },
    wechatPay: wechatPayConfig(raw, developmentFallbacks),
    rateLimitPerMinute: raw.RATE_LIMIT_PER_MINUTE,
    rateLimits: {
      applies: raw.RATE_LIMIT_APPLIES_PER_MINUTE ?? raw.RATE_LIMIT_PER_MINUTE,
      startCall: raw.RATE_LIMIT_START_CALLS_PER_MINUTE ?? raw.RATE_LIMIT_PER_MINUTE,
      gifts: raw.RATE_LIMIT_GIFTS_PER_MINUTE ?? raw.RATE_LIMIT_PER_MINUTE,
      orders: raw.RATE_LIMIT_ORDERS_PER_MINUTE,
      logins: raw.RATE_LIMIT_LOGINS_PER_MINUTE ?? raw.RATE_LIMIT_PER_MINUTE,
    },
    bodyLimitBytes: raw.BODY_LIMIT_BYTES,
    docsEnabled: raw.DOCS_ENABLED ?? !production,
    metrics: {
      enabled: raw.METRICS_TOKEN !== undefined || !production,
      token: raw.METRICS_TOKEN ?? null,
    },
    logLevel: raw.LOG_LEVEL,
    developmentFallbacks,
  };
  if (production) refuseDevelopmentSettings(raw, developmentFallbacks);
  return config;
}

/** Admin tokens that appear in examples (the old Compose default among them): never a real secret. */
const EXAMPLE_ADMIN_TOKEN = /change-?me|example|placeholder|^(.)\1+$/i;

/**
 * Under NODE_ENV=production a development value is a mistake, not a convenience: the admin API
 * would be open to anyone who read the README, and the vendors would reject every signature.
 */
function refuseDevelopmentSettings(raw: RawConfig, developmentFallbacks: string[]): void {
  const problems: string[] = [];
  if (!raw.ADMIN_TOKEN) {
    problems.push('ADMIN_TOKEN is unset (set a long random token, e.g. `openssl rand -hex 32`)');
  } else if (EXAMPLE_ADMIN_TOKEN.test(raw.ADMIN_TOKEN)) {
    problems.push('ADMIN_TOKEN is an example value (set a long random token, e.g. `openssl rand -hex 32`)');
  }
  for (const name of developmentFallbacks) {
    problems.push(`${name} is unset, so it would run on a development value`);
  }
  if (problems.length === 0) return;
  throw new ConfigError(
    `Refusing to start with NODE_ENV=production:\n${problems.map((problem) => `  ${problem}`).join('\n')}\n` +
      "Set these variables (see the README's configuration table), or unset NODE_ENV to run for development.",
  );
}
