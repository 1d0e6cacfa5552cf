import { Redis } from 'ioredis';
import type { AppConfig } from './config/index.js';
import type { Database } from './db/client.js';
import { createGiftsService } from './gifts/gifts.service.js';
import { userForToken } from './users/tokens.js';
import { createUsersService } from './users/users.service.js';

/** Everything a running server holds: config, connections and the domain services built on them. */
export interface AppContext {
  config: AppConfig;
  adminToken: string;
  database: Database;
  redis: Redis;
  users: ReturnType<typeof createUsersService>;
  gifts: ReturnType<typeof createGiftsService>;
  authenticate: (token: string) => ReturnType<typeof userForToken>;
  close(): Promise<void>;
}

export interface ContextOptions {
  config: AppConfig;
  adminToken: string;
  database: Database;
  redisUrl: string;
}

export function redisClient(url: string, name: string): Redis {
  const client = new Redis(url, {
    connectionName: name,
    maxRetriesPerRequest: 2,
    enableAutoPipelining: true,
  });
  // ioredis reconnects by itself; without a listener an outage would crash the process.
  client.on('error', () => {});
  return client;
}

export async function createAppContext(options: ContextOptions): Promise<AppContext> {
  const { config, database } = options;
  const redis = redisClient(options.redisUrl, 'commands');
  const users = createUsersService(database.db, {
    tokenTtlMs: config.tokenTtlMs,
    defaultUnitPrice: config.unitPrice.default,
    unitPriceBounds: config.unitPrice,
  });
  const gifts = createGiftsService(database.db);
  return {
    config,
    adminToken: options.adminToken,
    database,
    redis,
    users,
    gifts,
    authenticate: (token) => userForToken(database.db, token),
    async close() {
      redis.disconnect();
    },
  };
}
