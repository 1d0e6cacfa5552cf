import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type RunningServer, startServer } from '../../src/server.js';
import { createEmptyDatabase } from './database.js';
import { deleteKeysWithPrefix } from './redis.js';
import { testRedisUrl, uniqueName } from './services.js';

export interface TestServer extends RunningServer {
  adminToken: string;
  redisPrefix: string;
  databaseUrl: string;
  /** POST/GET helper returning status and parsed JSON. */
  request(method: string, path: string, options?: RequestOptions): Promise<TestResponse>;
  /** Stops the server as a process exit would, leaving its database and Redis keys to a successor. */
  stop(): Promise<void>;
  createUser(body: Record<string, unknown>): Promise<{ userId: number; token: string }>;
}

export interface RequestOptions {
  body?: unknown;
  form?: Record<string, string>;
  headers?: Record<string, string>;
}

export interface TestResponse {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: tests assert on arbitrary JSON answers
  body: any;
  headers: Headers;
}

/**
 * Boots the real server (startServer, the path `npm start` takes) on its own database, Redis prefix
 * and a free port. Extra env overrides config (e.g. RING_TIMEOUT_MS for fast tests).
 */
export async function startTestServer(
  label: string,
  env: Record<string, string> = {},
  /** Share another server's database and Redis prefix (a second process, a restart); it owns their cleanup. */
  shared?: { databaseUrl: string; redisPrefix: string; adminToken: string },
): Promise<TestServer> {
  const database = shared
    ? { url: shared.databaseUrl, drop: async () => {} }
    : await createEmptyDatabase(label);
  const redisPrefix = shared?.redisPrefix ?? `${uniqueName(label)}:`;
  const dataDir = await mkdtemp(path.join(tmpdir(), 'co-test-'));
  const adminToken = shared?.adminToken ?? randomBytes(16).toString('hex');
  const server = await startServer({
    env: {
      PORT: '0',
      HOST: '127.0.0.1',
      DATABASE_URL: database.url,
      REDIS_URL: testRedisUrl(),
      REDIS_PREFIX: redisPrefix,
      ADMIN_TOKEN: adminToken,
      DATA_DIR: dataDir,
      LOG_LEVEL: 'silent',
      // No Tencent IM unless a test starts the stand-in (imEnv): a closed port fails at once.
      TENCENT_IM_API_BASE: 'http://127.0.0.1:9',
      ...env,
    },
    logger: false,
  });

  async function request(
    method: string,
    urlPath: string,
    options: RequestOptions = {},
  ): Promise<TestResponse> {
    const headers: Record<string, string> = { ...options.headers };
    let body: string | undefined;
    if (options.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(options.form).toString();
    } else if (options.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(options.body);
    }
    const response = await fetch(`${server.url}${urlPath}`, { method, headers, body });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {}
    return { status: response.status, body: parsed, headers: response.headers };
  }

  async function createUser(body: Record<string, unknown>) {
    const response = await request('POST', '/admin/api/users', {
      body,
      headers: { authorization: `Bearer ${adminToken}` },
    });
    if (response.status !== 201)
      throw new Error(`createUser failed: ${response.status} ${JSON.stringify(response.body)}`);
    return response.body as { userId: number; token: string };
  }

  return {
    ...server,
    adminToken,
    redisPrefix,
    databaseUrl: database.url,
    request,
    createUser,
    stop: () => server.close(),
    close: async () => {
      // No test may provoke a 500: every failure a client can cause has its own 4xx (503 is an outage,
      // 502 a vendor refusing, e.g. RoomService code 6 when Tencent IM will not create the group).
      const metricsToken = env.METRICS_TOKEN;
      const metrics = await fetch(`${server.url}/metrics`, {
        headers: metricsToken ? { authorization: `Bearer ${metricsToken}` } : {},
      }).then(
        (response) => response.text(),
        () => '', // already stopped (a restart test); its own checks ran before
      );
      const serverErrors = metrics
        .split('\n')
        .filter(
          (line) =>
            line.startsWith('http_request_duration_seconds_count') && /status="5(?!0[23])\d\d"/.test(line),
        );
      await server.close();
      await database.drop();
      if (!shared) await deleteKeysWithPrefix(redisPrefix);
      if (serverErrors.length > 0) throw new Error(`the server answered 5xx:\n${serverErrors.join('\n')}`);
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
