import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from '../../src/redis/private-redis.js';
import { createEmptyDatabase } from './database.js';
import { deleteKeysWithPrefix } from './redis.js';
import { testRedisUrl, uniqueName } from './services.js';

export interface ServerProcess {
  url: string;
  /** Answered /healthz 200 once; a process still booting is not ready. */
  ready: boolean;
  port: number;
  child: ChildProcess;
  output(): string;
  /** SIGKILL: the process dies mid-whatever, as on a crash or an OOM kill. */
  kill(): Promise<void>;
  /** SIGTERM: the graceful shutdown path. Resolves with the exit code. */
  terminate(): Promise<number | null>;
}

export interface Cluster {
  databaseUrl: string;
  redisPrefix: string;
  adminToken: string;
  processes: ServerProcess[];
  /** Starts one more server process on the same database and Redis prefix. */
  spawn(env?: Record<string, string>): Promise<ServerProcess>;
  close(): Promise<void>;
}

async function waitHealthy(url: string, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`server exited early (${child.exitCode}):\n${output()}`);
    const status = await fetch(`${url}/healthz`).then(
      (response) => response.status,
      () => 0,
    );
    if (status === 200) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`server at ${url} not healthy within 120 s:\n${output()}`);
}

/**
 * Several real server processes (`node --import tsx src/server.ts`, as `npm start` runs it) on one
 * Postgres database and one Redis prefix: what operators run behind a load balancer.
 */
export async function startCluster(
  label: string,
  count: number,
  env: Record<string, string> = {},
): Promise<Cluster> {
  const database = await createEmptyDatabase(label);
  const redisPrefix = `${uniqueName(label)}:`;
  const adminToken = randomBytes(16).toString('hex');
  const dataDir = await mkdtemp(path.join(tmpdir(), 'co-cluster-'));
  const processes: ServerProcess[] = [];

  async function spawnServer(extra: Record<string, string> = {}): Promise<ServerProcess> {
    const port = await freePort();
    let output = '';
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        PORT: String(port),
        HOST: '127.0.0.1',
        DATABASE_URL: database.url,
        REDIS_URL: testRedisUrl(),
        REDIS_PREFIX: redisPrefix,
        ADMIN_TOKEN: adminToken,
        DATA_DIR: dataDir,
        LOG_LEVEL: 'warn',
        ...env,
        ...extra,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (chunk) => {
      output += chunk;
    });
    child.stderr?.on('data', (chunk) => {
      output += chunk;
    });
    const url = `http://127.0.0.1:${port}`;
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const server: ServerProcess = {
      url,
      ready: false,
      port,
      child,
      output: () => output,
      kill: async () => {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
        await exited;
      },
      terminate: async () => {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
        return exited;
      },
    };
    processes.push(server);
    await waitHealthy(url, child, server.output);
    server.ready = true;
    return server;
  }

  await Promise.all(Array.from({ length: count }, () => spawnServer()));
  return {
    databaseUrl: database.url,
    redisPrefix,
    adminToken,
    processes,
    spawn: spawnServer,
    close: async () => {
      await Promise.all(processes.map((server) => server.kill()));
      await database.drop();
      await deleteKeysWithPrefix(redisPrefix);
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** POST as the apps do against one process; answers status and JSON. */
export async function postTo(
  server: { url: string },
  urlPath: string,
  body: unknown,
  headers: Record<string, string> = {},
  // biome-ignore lint/suspicious/noExplicitAny: tests assert on arbitrary JSON answers
): Promise<{ status: number; body: any }> {
  const response = await fetch(`${server.url}${urlPath}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {}
  return { status: response.status, body: parsed };
}
