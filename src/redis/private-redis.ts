import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { Redis } from 'ioredis';

/** True when a Redis answers PING at url within a short timeout. */
export async function redisAnswers(url: string, timeoutMs = 1_500): Promise<boolean> {
  const probe = new Redis(url, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: false,
  });
  probe.on('error', () => {});
  try {
    await probe.connect();
    return (await probe.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    probe.disconnect();
  }
}

export function findOnPath(binary: string, pathVariable = process.env.PATH ?? ''): string | undefined {
  for (const dir of pathVariable.split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, binary);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {}
  }
  return undefined;
}

/** A TCP port nothing listens on right now (the OS picks it). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

export interface PrivateRedis {
  url: string;
  stop(): Promise<void>;
}

/**
 * Starts a redis-server owned by this process (no persistence, loopback only) so `npm start` works
 * on a machine that has Redis installed but not running. It dies with the process.
 */
export async function startPrivateRedis(binary: string, dataDir: string): Promise<PrivateRedis> {
  const port = await freePort();
  const dir = path.resolve(dataDir, 'redis');
  await mkdir(dir, { recursive: true });
  const child: ChildProcess = spawn(
    binary,
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
    { stdio: 'ignore' },
  );
  const url = `redis://127.0.0.1:${port}`;
  const stopOnExit = () => child.kill('SIGTERM');
  process.once('exit', stopOnExit);
  const deadline = Date.now() + 10_000;
  while (!(await redisAnswers(url, 500))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the private redis-server (${binary}) did not start on port ${port}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    url,
    stop: async () => {
      process.off('exit', stopOnExit);
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

export class RedisUnavailableError extends Error {
  override name = 'RedisUnavailableError';
}

/** REDIS_URL if it answers; otherwise a private redis-server if one is installed; otherwise a clear error. */
export async function resolveRedis(
  url: string,
  dataDir: string,
  log: (message: string) => void,
): Promise<{ url: string; privateRedis?: PrivateRedis }> {
  if (await redisAnswers(url)) return { url };
  const binary = findOnPath('redis-server');
  if (!binary) {
    throw new RedisUnavailableError(
      `Nothing answers at REDIS_URL=${url} and redis-server is not installed.\n` +
        'Start a Redis (e.g. `apt-get install redis-server`, `brew install redis`, or ' +
        '`docker run -p 6379:6379 redis:7`) or point REDIS_URL at one.',
    );
  }
  log(`nothing answers at ${url}; starting a private redis-server (${binary})`);
  const privateRedis = await startPrivateRedis(binary, dataDir);
  log(`private redis-server listening at ${privateRedis.url}`);
  return { url: privateRedis.url, privateRedis };
}
