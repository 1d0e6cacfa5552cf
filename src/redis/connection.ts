/**
 * Where Redis is and how to talk to it: one node (the default) or a Redis Cluster. `REDIS_URL` may
 * list several comma-separated `redis://` seed nodes, or `REDIS_CLUSTER=1` marks a single URL as a
 * cluster's seed; either way the server opens an ioredis `Cluster`, which learns the whole topology
 * from any seed and follows MOVED/ASK redirections itself.
 *
 * Code that reaches past one key must stay within one hash slot on a cluster: scripts and MULTI
 * only touch keys of one hash tag, and reads over many keys go out as single-key commands (ioredis
 * auto-pipelining batches them per node), see `getMany`.
 */
import { Cluster, type ClusterOptions, Redis, type RedisOptions } from 'ioredis';

/** A client of either kind; every command the app uses exists on both. */
export type RedisClient = Redis | Cluster;

export interface RedisTarget {
  /** Seed nodes: exactly one in single-node mode. */
  nodes: { host: string; port: number }[];
  cluster: boolean;
  /** Per-connection options shared by every node (credentials, db, TLS). */
  options: RedisOptions;
}

/** ioredis/BullMQ connection options from one `redis://` or `rediss://` URL (BullMQ takes no URL). */
export function connectionFromUrl(url: string): RedisOptions {
  const u = new URL(url);
  const db = u.pathname.length > 1 ? Number(u.pathname.slice(1)) : undefined;
  return {
    host: u.hostname || '127.0.0.1',
    port: u.port ? Number(u.port) : 6379,
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    ...(db !== undefined && Number.isInteger(db) ? { db } : {}),
    ...(u.protocol === 'rediss:' ? { tls: {} } : {}),
  };
}

/** `redis://a:7000,redis://b:7001` (or one URL with `cluster: true`) → a cluster target. */
export function parseRedisTarget(url: string, cluster = false): RedisTarget {
  const urls = url
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean);
  const parsed = urls.map(connectionFromUrl);
  const first = parsed[0];
  if (!first) throw new Error('REDIS_URL is empty');
  const { host: _host, port: _port, db, ...shared } = first;
  const isCluster = cluster || parsed.length > 1;
  if (isCluster && db) throw new Error('a Redis Cluster has only database 0: drop the /<db> from REDIS_URL');
  return {
    nodes: parsed.map((node) => ({ host: node.host ?? '127.0.0.1', port: node.port ?? 6379 })),
    cluster: isCluster,
    options: isCluster ? shared : first,
  };
}

/** A connection to the target; `options` are per node (e.g. `maxRetriesPerRequest`). */
export function createRedisClient(
  target: RedisTarget,
  options: RedisOptions = {},
  clusterOptions: ClusterOptions = {},
): RedisClient {
  if (!target.cluster) return new Redis({ ...target.options, ...options });
  // These two are the cluster's own options, not its nodes'.
  const { enableAutoPipelining, lazyConnect, ...redisOptions } = options;
  return new Cluster(target.nodes, {
    ...(lazyConnect === undefined ? {} : { lazyConnect }),
    // ioredis gives a slot map refresh 1 s by default; a busy node can take longer, and a boot whose
    // every seed timed out fails with "None of startup nodes is available".
    slotsRefreshTimeout: 10_000,
    // With the ready check, a connect() that meets a failing CLUSTER INFO (a master restarting)
    // reconnects by itself but never settles its promise (ioredis #741). BullMQ awaits connect()
    // to recover a worker's connections, so its worker would wait for ever: no delayed job fired,
    // no close. Without it, connect() settles and commands met by CLUSTERDOWN are retried.
    enableReadyCheck: false,
    ...clusterOptions,
    ...(enableAutoPipelining === undefined ? {} : { enableAutoPipelining }),
    redisOptions: { ...target.options, ...redisOptions },
  });
}

export const isCluster = (client: RedisClient): client is Cluster =>
  (client as { isCluster?: boolean }).isCluster === true;

/**
 * GET of many keys. One MGET on a single node; on a cluster the keys live in different slots, so
 * one GET each (auto-pipelined per node when the client enables it).
 */
export async function getMany(client: RedisClient, keys: readonly string[]): Promise<(string | null)[]> {
  if (keys.length === 0) return [];
  if (!isCluster(client)) return client.mget(...keys);
  return Promise.all(keys.map((key) => client.get(key)));
}

/** Every master of a cluster (one client per node), or the single client itself. */
export function masters(client: RedisClient): Redis[] {
  return isCluster(client) ? client.nodes('master') : [client];
}

const isTarget = (connection: RedisOptions | RedisTarget): connection is RedisTarget =>
  'nodes' in connection && Array.isArray(connection.nodes);

/**
 * BullMQ's `connection` for a queue or worker: options for one node, or, on a cluster, an ioredis
 * `Cluster` (BullMQ takes no cluster options; it duplicates a client it is handed for a worker's
 * blocking reads). BullMQ never closes a client it was handed, so one made here goes into `owned`
 * for the caller to disconnect after closing the queue or worker.
 */
export function bullConnection(
  connection: RedisOptions | RedisTarget,
  overrides: RedisOptions,
  owned: RedisClient[],
): RedisOptions | RedisClient {
  if (!isTarget(connection)) return { ...connection, ...overrides };
  if (!connection.cluster) return { ...connection.options, ...connection.nodes[0], ...overrides };
  const client = createRedisClient(connection, overrides);
  client.on('error', () => {});
  owned.push(client);
  return client;
}
