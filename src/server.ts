import { existsSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { resolveAdminToken } from './admin/admin-token.js';
import { buildApp } from './app.js';
import { ConfigError, loadConfig } from './config/index.js';
import { type AppContext, createAppContext } from './context.js';
import { type Database, openDatabase } from './db/client.js';
import { createLogger } from './logger.js';
import { createRedisClient, masters, parseRedisTarget } from './redis/connection.js';
import { RedisUnavailableError, type ResolvedRedis, resolveRedis } from './redis/private-redis.js';
import {
  bindRedisPrefix,
  type DatabaseIdentity,
  describeDatabase,
  persistenceWarning,
  RedisBindingError,
  readDatabaseIdentity,
} from './redis/redis-binding.js';

export interface RunningServer {
  app: FastifyInstance;
  context: AppContext;
  url: string;
  close(): Promise<void>;
}

export interface StartOptions {
  env?: Record<string, string | undefined>;
  /** false: no logs at all (tests). */
  logger?: false;
}

/** Boots everything from the environment: config, Redis, database (migrated), services, HTTP + Socket.IO. */
export async function startServer(options: StartOptions = {}): Promise<RunningServer> {
  const config = loadConfig(options.env ?? process.env);
  const logger = createLogger(options.logger === false ? 'silent' : config.logLevel);
  const bootLog = (message: string) => {
    if (options.logger !== false) console.log(`[boot] ${message}`);
  };
  bootLog(`starting: NODE_ENV=${config.nodeEnv ?? 'unset'}, DATA_DIR=${path.resolve(config.dataDir)}`);
  // A cluster is never replaced by a private redis-server: it must answer (ioredis follows its nodes).
  const redis: ResolvedRedis = config.redisCluster
    ? { url: config.redisUrl ?? '' }
    : await resolveRedis(config.redisUrl, config.dataDir, bootLog);
  const pgliteDir = path.resolve(config.dataDir, 'pglite');
  const databaseLabel = describeDatabase(config.databaseUrl, pgliteDir);
  const firstPgliteStart = !config.databaseUrl && !existsSync(path.join(pgliteDir, 'PG_VERSION'));
  bootLog(
    `opening ${databaseLabel} and applying migrations` +
      (firstPgliteStart ? ' (a first start creates it: this takes a while)' : ''),
  );
  const openedAt = Date.now();
  let database: Database;
  try {
    database = await openDatabase({ url: config.databaseUrl, dataDir: config.dataDir });
  } catch (error) {
    await redis.privateRedis?.stop();
    throw error;
  }
  bootLog(`database ready in ${((Date.now() - openedAt) / 1000).toFixed(1)} s: ${databaseLabel}`);
  try {
    await bindRedis(
      redis,
      config.redisPrefix,
      await readDatabaseIdentity(database.db, databaseLabel),
      {
        bootLog,
        warn: (message) => logger.warn(message),
      },
      config.redisCluster,
    );
  } catch (error) {
    await database.close();
    await redis.privateRedis?.stop();
    throw error;
  }
  const admin = await resolveAdminToken(config.adminToken, config.dataDir);
  const context = await createAppContext({
    config,
    adminToken: admin.token,
    database,
    redisUrl: redis.url,
    logger,
  });
  const app = await buildApp(context, { logger });
  await context.startBackgroundWork();
  if (config.developmentFallbacks.length > 0) {
    app.log.warn(
      { variables: config.developmentFallbacks },
      'using development values for unset vendor credentials: fine locally, never in production',
    );
  }
  const address = await app.listen({ port: config.port, host: config.host });
  if (admin.generated) bootLog(`ADMIN_TOKEN was not set; admin token: ${admin.token}`);
  bootLog(`listening on ${address}${config.docsEnabled ? ` (docs at ${address}/docs)` : ''}`);

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      await app.close();
      await context.close();
      await database.close();
      await redis.privateRedis?.stop();
    })();
    return closing;
  };
  return { app, context, url: address, close };
}

/** Names the Redis in use, claims its prefix for this database (or refuses), warns if it keeps nothing. */
async function bindRedis(
  redis: ResolvedRedis,
  prefix: string,
  database: DatabaseIdentity,
  log: { bootLog(message: string): void; warn(message: string): void },
  cluster: boolean,
): Promise<void> {
  const client = createRedisClient(parseRedisTarget(redis.url, cluster), {
    maxRetriesPerRequest: 2,
    lazyConnect: true,
  });
  client.on('error', () => {});
  try {
    await client.connect();
    const binding = await bindRedisPrefix(client, { url: redis.url, prefix }, database);
    const kind = redis.privateRedis
      ? `private redis-server, pid ${redis.privateRedis.pid}${redis.privateRedis.reused ? ', reused' : ''}, AOF everysec`
      : 'external';
    log.bootLog(
      `redis: ${redis.url} (${kind}), prefix ${prefix}, ` +
        (binding === 'claimed' ? 'claimed for this database' : 'bound to this database'),
    );
    if (!redis.privateRedis) {
      // On a cluster every master keeps its own share of the data: each is judged on its own.
      for (const node of masters(client)) {
        const where = cluster ? `${node.options.host}:${node.options.port}` : redis.url;
        const warning = await persistenceWarning(node, where);
        if (warning) log.warn(warning);
      }
    }
  } finally {
    client.disconnect();
  }
}

async function main(): Promise<void> {
  let server: RunningServer;
  try {
    server = await startServer();
  } catch (error) {
    if (
      error instanceof ConfigError ||
      error instanceof RedisUnavailableError ||
      error instanceof RedisBindingError
    ) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      server.app.log.info({ signal }, 'shutting down');
      // A shutdown that hangs (a peer that never answers) must not keep a deploy waiting for ever.
      setTimeout(() => {
        console.error('graceful shutdown took longer than 30 s; exiting');
        process.exit(1);
      }, 30_000).unref();
      server.close().then(
        () => process.exit(0),
        (error) => {
          console.error(error);
          process.exit(1);
        },
      );
    });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await main();
}
