/**
 * The real services the suite runs against. Point them elsewhere with TEST_DATABASE_URL (any Postgres
 * URL whose user may create databases) and TEST_REDIS_URL; .ci/run starts the local ones if they are down.
 */
export const TEST_POSTGRES_URL =
  process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
/** The browser the admin panel's test drives (Debian's chromium unless told otherwise). */
export const TEST_CHROMIUM = process.env.TEST_CHROMIUM ?? '/usr/bin/chromium';

/** How to bring up each service on this kind of machine (Debian), quoted when one is missing. */
export const START_COMMANDS = {
  postgres: 'pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start',
  redis:
    'redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log',
  chromium: 'apt-get install -y chromium',
} as const;

let redisOverride: string | null = null;

/** The Redis the servers a test file starts use: the shared one, or the file's own cluster (redis-cluster.ts). */
export function testRedisUrl(): string {
  return redisOverride ?? TEST_REDIS_URL;
}

/** True while the file runs on a Redis of its own, which is thrown away whole afterwards. */
export const onPrivateRedis = (): boolean => redisOverride !== null;

export function useTestRedisUrl(url: string | null): void {
  redisOverride = url;
}

/** A unique, recognisable name for one test file's database and Redis prefix. */
export function uniqueName(label: string): string {
  const safe = label
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .slice(0, 20);
  return `t_${safe}_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
}
