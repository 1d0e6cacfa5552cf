import { pathToFileURL } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { resolveAdminToken } from './admin/admin-token.js';
import { buildApp } from './app.js';
import { ConfigError, loadConfig } from './config/index.js';
import { type AppContext, createAppContext } from './context.js';
import { openDatabase } from './db/client.js';
import { createLogger } from './logger.js';
import { RedisUnavailableError, resolveRedis } from './redis/private-redis.js';

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
  const redis = await resolveRedis(config.redisUrl, config.dataDir, bootLog);
  const database = await openDatabase({ url: config.databaseUrl, dataDir: config.dataDir });
  bootLog(
    database.driver === 'pglite'
      ? `database: embedded PGlite in ${config.dataDir}/pglite`
      : 'database: Postgres',
  );
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
  bootLog(`listening on ${address} (docs at ${address}/docs)`);

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

async function main(): Promise<void> {
  let server: RunningServer;
  try {
    server = await startServer();
  } catch (error) {
    if (error instanceof ConfigError || error instanceof RedisUnavailableError) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      server.app.log.info({ signal }, 'shutting down');
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
