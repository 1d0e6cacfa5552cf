import { envSchema } from 'env-schema';
import { type Static, Type } from 'typebox';

/**
 * Every setting the server reads, with its default. Validated once at boot; a bad value stops the
 * process with a message naming the variable (see formatConfigError).
 */
export const ConfigSchema = Type.Object({
  /**
   * `production` makes the server refuse to start with a missing or example ADMIN_TOKEN or with any
   * vendor credential on its development value (the Docker image sets it); anything else is development.
   */
  NODE_ENV: Type.Optional(Type.String({ minLength: 1 })),
  /** HTTP and Socket.IO port. */
  PORT: Type.Integer({ default: 3000, minimum: 0, maximum: 65_535 }),
  /** Interface to listen on; the Docker image sets 0.0.0.0. */
  HOST: Type.String({ default: '127.0.0.1', minLength: 1 }),
  /** Postgres connection string. Unset: embedded PGlite stored under DATA_DIR. */
  DATABASE_URL: Type.Optional(Type.String({ pattern: '^postgres(ql)?://' })),
  /** Where PGlite, a private Redis and the generated admin token live when nothing else is configured. */
  DATA_DIR: Type.String({ default: './data', minLength: 1 }),
  /**
   * Redis for machine snapshots, jobs and the Socket.IO adapter; it must answer. Unset: a private,
   * persistent redis-server in DATA_DIR/redis (if installed), else redis://127.0.0.1:6379. Several
   * comma-separated `redis://` nodes: a Redis Cluster (any of them seeds it).
   */
  REDIS_URL: Type.Optional(Type.String({ pattern: '^rediss?://[^,\\s]+(\\s*,\\s*rediss?://[^,\\s]+)*$' })),
  /** 1: REDIS_URL (even a single node) is a Redis Cluster's seed. */
  REDIS_CLUSTER: Type.Union(
    ['0', '1', 'false', 'true'].map((value) => Type.Literal(value)),
    { default: '0' },
  ),
  /** Prefix of every Redis key and BullMQ queue, so several deployments can share one Redis. */
  REDIS_PREFIX: Type.String({ default: 'co:', pattern: '^[A-Za-z0-9_.-]+:$' }),
  /** Bearer token of the admin API and panel. Unset: one is generated, printed once and kept under DATA_DIR. */
  ADMIN_TOKEN: Type.Optional(Type.String({ minLength: 16 })),
  /** How long a call rings before it ends as missed. */
  RING_TIMEOUT_MS: Type.Integer({ default: 30_000, minimum: 1 }),
  /** Length of one billed minute; shortened in tests and benchmarks. */
  BILLING_INTERVAL_MS: Type.Integer({ default: 60_000, minimum: 1 }),
  /**
   * Delayed machine events (billing ticks, timeouts) one process handles at once. Most of a tick's
   * time is waiting on Redis and Postgres, so it is high: at 16, 833 ticks/s queued up late.
   */
  WORKER_CONCURRENCY: Type.Integer({ default: 128, minimum: 1 }),
  /** How long a party of a live call (or a room's matchmaker) may be disconnected before the server ends it. */
  DISCONNECT_GRACE_MS: Type.Integer({ default: 30_000, minimum: 1 }),
  /** Diamonds a guest pays per point the anchor earns (unitPriceDiamond = ceil(unitPrice × rate)). */
  DIAMONDS_PER_POINT: Type.Number({ default: 2, exclusiveMinimum: 0 }),
  /** Bounds of an anchor's per-minute price in points (updateUnitPrice). */
  UNIT_PRICE_MIN: Type.Integer({ default: 1, minimum: 1 }),
  UNIT_PRICE_MAX: Type.Integer({ default: 10_000, minimum: 1 }),
  /** Price of a new anchor until she sets her own. */
  DEFAULT_UNIT_PRICE: Type.Integer({ default: 30, minimum: 1 }),
  /** How long a process remembers which user a token is (0 disables); never a field a write can change. */
  AUTH_CACHE_MS: Type.Integer({ default: 1_000, minimum: 0, maximum: 60_000 }),
  /**
   * How long a process may serve a user's row from memory (0: read it on every request). Every change
   * is announced by Postgres (users_changed) and drops it at once; this bounds what a lost
   * announcement could cost.
   */
  USER_ROW_CACHE_MS: Type.Integer({ default: 30_000, minimum: 0, maximum: 600_000 }),
  /** Lifetime of an API token issued at login or by the admin API. */
  TOKEN_TTL_DAYS: Type.Integer({ default: 30, minimum: 1 }),
  /** Tencent Cloud TRTC/IM application; unset: a development value, logged as such. */
  TENCENT_SDK_APP_ID: Type.Optional(Type.Integer({ minimum: 1 })),
  TENCENT_SECRET_KEY: Type.Optional(Type.String({ minLength: 1 })),
  /** Tencent Cloud CSS domains and anti-leech key for push/play URLs. */
  LIVE_PUSH_DOMAIN: Type.Optional(Type.String({ minLength: 1 })),
  LIVE_PLAY_DOMAIN: Type.Optional(Type.String({ minLength: 1 })),
  LIVE_PUSH_KEY: Type.Optional(Type.String({ minLength: 1 })),
  /** Tencent IM server REST API host (Tencent has regional hosts; tests point it at a local stand-in). */
  TENCENT_IM_API_BASE: Type.String({ default: 'https://console.tim.qq.com', pattern: '^https?://' }),
  /** The IM app admin account the server calls as; it must be an App admin in the IM console. */
  TENCENT_IM_ADMIN: Type.String({ default: 'administrator', pattern: '^[A-Za-z0-9_-]{1,32}$' }),
  /** The IM console's callback token; set: im_notify/ checks each callback's Sign and RequestTime. */
  TENCENT_IM_CALLBACK_TOKEN: Type.Optional(Type.String({ minLength: 1 })),
  /** An IM REST call that has not answered after this long is abandoned and retried later. */
  TENCENT_IM_TIMEOUT_MS: Type.Integer({ default: 5_000, minimum: 1 }),
  /** Longest wait between two attempts of a failing IM call (the backoff doubles up to this). */
  TENCENT_IM_MAX_BACKOFF_MS: Type.Integer({ default: 30_000, minimum: 10 }),
  /** IM REST calls per second, shared by all processes (Tencent allows 200/s for send_group_msg). */
  TENCENT_IM_RATE_PER_SECOND: Type.Integer({ default: 200, minimum: 2 }),
  /** Anti-leech key of the play domain (RoomService accelerate URLs); unset: LIVE_PUSH_KEY. */
  LIVE_PLAY_KEY: Type.Optional(Type.String({ minLength: 1 })),
  /** Tencent CSS bizid: when set, RoomService stream names start with `<bizid>_` and URLs carry `bizid=`. */
  LIVE_BIZID: Type.Optional(Type.String({ pattern: '^[0-9]{1,16}$' })),
  /** Tencent Live API (stream mixing for RoomService merge_stream); unset: merge_stream answers result code -1. */
  LIVE_API_APP_ID: Type.Optional(Type.String({ pattern: '^[0-9]{1,16}$' })),
  LIVE_API_KEY: Type.Optional(Type.String({ minLength: 1 })),
  LIVE_API_BASE: Type.String({ default: 'http://fcgi.video.qcloud.com', pattern: '^https?://' }),
  /** A RoomService pusher without a heartbeat for this long is dropped. */
  ROOMSERVICE_HEARTBEAT_TIMEOUT_MS: Type.Integer({ default: 20_000, minimum: 1 }),
  /** A RoomService room (not a call's) with no pusher this long after creation is removed. */
  ROOMSERVICE_EMPTY_ROOM_TIMEOUT_MS: Type.Integer({ default: 30_000, minimum: 1 }),
  /** Lifetime of a signed push/play URL. */
  LIVE_URL_TTL_SECONDS: Type.Integer({ default: 86_400, minimum: 60 }),
  /** WeChat mini-program credentials and API base (tests point it at a local server). */
  WECHAT_APP_ID: Type.Optional(Type.String({ minLength: 1 })),
  WECHAT_APP_SECRET: Type.Optional(Type.String({ minLength: 1 })),
  WECHAT_API_BASE: Type.String({ default: 'https://api.weixin.qq.com', pattern: '^https?://' }),
  /** WeChat Pay API v3 merchant (recharges); unset: development values, logged as such. */
  WECHATPAY_MCH_ID: Type.Optional(Type.String({ pattern: '^[0-9]{1,32}$' })),
  /** Serial number of the merchant API certificate. */
  WECHATPAY_MCH_SERIAL_NO: Type.Optional(Type.String({ pattern: '^[0-9A-Fa-f]{8,64}$' })),
  /** Merchant API private key (apiclient_key.pem) as PEM text (`\n` escapes allowed), or a path in the _FILE variant. */
  WECHATPAY_MCH_PRIVATE_KEY: Type.Optional(Type.String({ minLength: 1 })),
  WECHATPAY_MCH_PRIVATE_KEY_FILE: Type.Optional(Type.String({ minLength: 1 })),
  /** APIv3 key that encrypts payment notifications: exactly 32 characters. */
  WECHATPAY_API_V3_KEY: Type.Optional(Type.String({ minLength: 32, maxLength: 32 })),
  /** WeChat Pay platform certificate serial (or public key id PUB_KEY_ID_...) and its public key PEM (or _FILE). */
  WECHATPAY_PLATFORM_SERIAL: Type.Optional(Type.String({ minLength: 1 })),
  WECHATPAY_PLATFORM_PUBLIC_KEY: Type.Optional(Type.String({ minLength: 1 })),
  WECHATPAY_PLATFORM_PUBLIC_KEY_FILE: Type.Optional(Type.String({ minLength: 1 })),
  /** Public HTTPS URL of POST /wx/api/qlive/qlive_pay/notify/; unset: derived from each order request's host. */
  WECHATPAY_NOTIFY_URL: Type.Optional(Type.String({ pattern: '^https?://' })),
  /** WeChat Pay API (tests point it at a local server). */
  WECHATPAY_API_BASE: Type.String({ default: 'https://api.mch.weixin.qq.com', pattern: '^https?://' }),
  /**
   * How often each process looks for calls and rooms Postgres knows as open whose machines Redis lost
   * (and ends them, reason `state_lost`); it also runs once at start.
   */
  RECONCILE_EVERY_MS: Type.Integer({ default: 60_000, minimum: 100 }),
  /** Requests per minute per user (per IP before login) in each limited family of routes, unless set below. */
  RATE_LIMIT_PER_MINUTE: Type.Integer({ default: 120, minimum: 1 }),
  /** Per family: call applies (callGirl, callApplyGirl, callApplyMan together), startCall, gifts, recharge orders, logins. */
  RATE_LIMIT_APPLIES_PER_MINUTE: Type.Optional(Type.Integer({ minimum: 1 })),
  RATE_LIMIT_START_CALLS_PER_MINUTE: Type.Optional(Type.Integer({ minimum: 1 })),
  RATE_LIMIT_GIFTS_PER_MINUTE: Type.Optional(Type.Integer({ minimum: 1 })),
  /** Recharge orders (createOrder, POST qlive_pay/ together): few a minute is plenty for a person. */
  RATE_LIMIT_ORDERS_PER_MINUTE: Type.Integer({ default: 10, minimum: 1 }),
  RATE_LIMIT_LOGINS_PER_MINUTE: Type.Optional(Type.Integer({ minimum: 1 })),
  /** Serve the OpenAPI UI and document at /docs; default: on unless NODE_ENV is production. */
  DOCS_ENABLED: Type.Optional(Type.Boolean()),
  /** Bearer token /metrics requires; unset: /metrics is open outside production and off in production. */
  METRICS_TOKEN: Type.Optional(Type.String({ minLength: 16 })),
  /** Largest accepted request body. */
  BODY_LIMIT_BYTES: Type.Integer({ default: 65_536, minimum: 1024 }),
  /** pino level. */
  LOG_LEVEL: Type.Union(
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((level) => Type.Literal(level)),
    { default: 'info' },
  ),
});

export type RawConfig = Static<typeof ConfigSchema>;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Reads and validates the environment; throws ConfigError naming every bad variable. */
export function readEnv(env: Record<string, string | undefined> = process.env): RawConfig {
  const data = Object.fromEntries(
    Object.entries(env).filter(([, value]) => value !== undefined && value !== ''),
  );
  try {
    return envSchema<RawConfig>({ schema: ConfigSchema, data });
  } catch (error) {
    throw new ConfigError(formatConfigError(error, data));
  }
}

interface AjvErrorLike {
  instancePath?: string;
  message?: string;
  params?: Record<string, unknown>;
}

function formatConfigError(error: unknown, data: Record<string, string | undefined>): string {
  const details = (error as { errors?: AjvErrorLike[] }).errors;
  if (!Array.isArray(details) || details.length === 0) {
    return `Invalid configuration: ${(error as Error).message}`;
  }
  const lines = details.map((detail) => {
    const name =
      (detail.instancePath ?? '').replace(/^\//, '') || String(detail.params?.missingProperty ?? '?');
    const given = data[name];
    return `  ${name} ${detail.message ?? 'is invalid'}${given === undefined ? '' : ` (got ${JSON.stringify(given)})`}`;
  });
  return `Invalid configuration:\n${lines.join('\n')}`;
}
