import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants, readFileSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
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
  /** Process id of the redis-server. */
  pid: number;
  /** True when a redis-server left running by an earlier, killed start was taken over. */
  reused: boolean;
  stop(): Promise<void>;
}

/** Where the private Redis keeps its AOF, pidfile, port file and log. */
export function privateRedisDir(dataDir: string): string {
  return path.resolve(dataDir, 'redis');
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function readNumber(file: string): Promise<number | undefined> {
  const text = await readFile(file, 'utf8').catch(() => '');
  const value = Number(text.trim());
  return Number.isInteger(value) && value > 0 ? value : undefined;
}

/** The process id a Redis reports of itself, or undefined when nothing answers there. */
async function redisProcessId(url: string): Promise<number | undefined> {
  const probe = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 1_000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: false,
  });
  probe.on('error', () => {});
  try {
    await probe.connect();
    const info = await probe.info('server');
    return Number(info.match(/process_id:(\d+)/)?.[1]) || undefined;
  } catch {
    return undefined;
  } finally {
    probe.disconnect();
  }
}

function isRedisServer(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('redis-server');
  } catch {
    return false;
  }
}

async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid)) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return true;
}

async function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

async function terminate(pid: number): Promise<void> {
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  // SIGTERM makes redis-server flush its AOF and exit; a hung one is killed.
  if (!(await waitForExit(pid, 10_000))) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {}
    await waitForExit(pid, 5_000);
  }
}

/**
 * The redis-server of `npm start`, kept in DATA_DIR/redis: loopback only, always on the port in its
 * port file, its data in an append-only file fsynced every second, so a restarted server finds its
 * live calls, rooms and timers. One left running by a start that was killed (its pidfile names it and
 * it answers on the port) is taken over rather than doubled; a stale one is stopped first.
 */
export async function startPrivateRedis(
  binary: string,
  dataDir: string,
  log: (message: string) => void = () => {},
): Promise<PrivateRedis> {
  const dir = privateRedisDir(dataDir);
  await mkdir(dir, { recursive: true });
  const pidFile = path.join(dir, 'redis.pid');
  const portFile = path.join(dir, 'port');
  const previousPid = await readNumber(pidFile);
  const previousPort = await readNumber(portFile);

  if (previousPid && isAlive(previousPid)) {
    const url = previousPort ? `redis://127.0.0.1:${previousPort}` : undefined;
    if (url && (await redisProcessId(url)) === previousPid) {
      log(`reusing the private redis-server (pid ${previousPid}) an earlier start left running on ${url}`);
      return adopted(url, previousPid, pidFile);
    }
    if (isRedisServer(previousPid)) {
      log(`stopping a stale private redis-server (pid ${previousPid}) that does not answer on its port`);
      await terminate(previousPid);
    }
  }
  await rm(pidFile, { force: true });

  const port = previousPort && (await portIsFree(previousPort)) ? previousPort : await freePort();
  await writeFile(portFile, `${port}\n`);
  const child: ChildProcess = spawn(
    binary,
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--dir',
      dir,
      '--pidfile',
      pidFile,
      '--logfile',
      path.join(dir, 'redis.log'),
      '--appendonly',
      'yes',
      '--appendfsync',
      'everysec',
      '--save',
      '',
      '--daemonize',
      'no',
    ],
    // Its own process group: a Ctrl-C in the terminal reaches the server, which stops Redis after
    // its own work, not both at once.
    { stdio: 'ignore', detached: true },
  );
  const url = `redis://127.0.0.1:${port}`;
  const stopOnExit = () => child.kill('SIGTERM');
  process.once('exit', stopOnExit);
  const deadline = Date.now() + 30_000;
  while (!(await redisAnswers(url, 500))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(
        `the private redis-server (${binary}) did not start on port ${port}; see ${path.join(dir, 'redis.log')}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  // Loading a large AOF answers PING with LOADING; the server waits on its own connection retries.
  return {
    url,
    pid: child.pid ?? 0,
    reused: false,
    stop: async () => {
      process.off('exit', stopOnExit);
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

function adopted(url: string, pid: number, pidFile: string): PrivateRedis {
  const stopOnExit = () => {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {}
  };
  process.once('exit', stopOnExit);
  return {
    url,
    pid,
    reused: true,
    stop: async () => {
      process.off('exit', stopOnExit);
      await terminate(pid);
      await rm(pidFile, { force: true });
    },
  };
}

export class RedisUnavailableError extends Error {
  override name = 'RedisUnavailableError';
}

export interface ResolvedRedis {
  url: string;
  privateRedis?: PrivateRedis;
}

/** Where `npm start` looks for Redis when REDIS_URL is unset and redis-server is not installed. */
export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

/**
 * REDIS_URL when set (it must answer). Unset: the private redis-server in DATA_DIR when redis-server
 * is installed (each checkout its own, kept across restarts), else a Redis on the default port.
 */
export async function resolveRedis(
  url: string | undefined,
  dataDir: string,
  log: (message: string) => void,
): Promise<ResolvedRedis> {
  if (url) {
    if (await redisAnswers(url)) return { url };
    throw new RedisUnavailableError(
      `Nothing answers at REDIS_URL=${url}.\n` +
        'Start that Redis, point REDIS_URL at one that runs, or unset REDIS_URL to let the server run ' +
        'a private redis-server of its own in DATA_DIR (needs redis-server installed).',
    );
  }
  const binary = findOnPath('redis-server');
  if (binary) {
    log(`REDIS_URL is unset: using the private redis-server (${binary}) in ${privateRedisDir(dataDir)}`);
    const privateRedis = await startPrivateRedis(binary, dataDir, log);
    return { url: privateRedis.url, privateRedis };
  }
  if (await redisAnswers(DEFAULT_REDIS_URL)) return { url: DEFAULT_REDIS_URL };
  throw new RedisUnavailableError(
    `REDIS_URL is unset, redis-server is not installed and nothing answers at ${DEFAULT_REDIS_URL}.\n` +
      'Install Redis (e.g. `apt-get install redis-server` or `brew install redis`) and the server runs ' +
      'a private one in DATA_DIR, or start one (e.g. `docker run -p 6379:6379 redis:7`) and set REDIS_URL.',
  );
}
