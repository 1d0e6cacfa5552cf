import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { afterAll, beforeAll } from 'vitest';
import { findOnPath, freePort } from '../../src/redis/private-redis.js';
import { useTestRedisUrl } from './services.js';

const run = promisify(execFile);

export interface RedisClusterNode {
  port: number;
  dir: string;
  child: ChildProcess;
}

export interface LocalRedisCluster {
  /** What REDIS_URL takes: every master, comma-separated. */
  url: string;
  nodes: RedisClusterNode[];
  /** SIGKILLs one master and starts it again on the same port, directory and AOF; resolves once the cluster is whole again. */
  restartMaster(index: number, downMs?: number): Promise<void>;
  /** Keys held by all masters together. */
  keyCount(): Promise<number>;
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function startNode(binary: string, port: number, dir: string): ChildProcess {
  return spawn(
    binary,
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--dir',
      dir,
      '--cluster-enabled',
      'yes',
      '--cluster-config-file',
      'nodes.conf',
      // Long enough that a restart within a few seconds never marks the master failed.
      '--cluster-node-timeout',
      '15000',
      '--appendonly',
      'yes',
      '--appendfsync',
      'everysec',
      '--save',
      '',
      '--protected-mode',
      'no',
    ],
    { stdio: 'ignore' },
  );
}

async function clusterInfo(port: number): Promise<string> {
  const client = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0 });
  client.on('error', () => {});
  try {
    await client.connect();
    return await client.cluster('INFO');
  } catch {
    return '';
  } finally {
    client.disconnect();
  }
}

async function waitUntil(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`redis cluster: ${what} within ${timeoutMs} ms`);
    await sleep(100);
  }
}

const clusterOk = (ports: number[]) => async () => {
  const infos = await Promise.all(ports.map(clusterInfo));
  return infos.every((info) => info.includes('cluster_state:ok') && info.includes('cluster_known_nodes:3'));
};

/**
 * A Redis Cluster of three masters (no replicas, AOF on) from the installed redis-server, on free
 * ports in a temporary directory, for tests that must run the server against a cluster.
 */
export async function startRedisCluster(): Promise<LocalRedisCluster> {
  const binary = findOnPath('redis-server');
  const cli = findOnPath('redis-cli');
  if (!binary || !cli)
    throw new Error('redis-server and redis-cli must be installed to start a Redis Cluster');
  const root = await mkdtemp(path.join(tmpdir(), 'co-redis-cluster-'));
  const nodes: RedisClusterNode[] = [];
  for (let i = 0; i < 3; i++) {
    const port = await freePort();
    const dir = path.join(root, String(port));
    await mkdir(dir);
    nodes.push({ port, dir, child: startNode(binary, port, dir) });
  }
  const ports = nodes.map((node) => node.port);
  try {
    await waitUntil('nodes answer', async () =>
      (await Promise.all(ports.map(clusterInfo))).every((info) => info !== ''),
    );
    await run(cli, [
      '--cluster',
      'create',
      ...ports.map((port) => `127.0.0.1:${port}`),
      '--cluster-replicas',
      '0',
      '--cluster-yes',
    ]);
    await waitUntil('cluster_state:ok on every node', clusterOk(ports));
  } catch (error) {
    for (const node of nodes) node.child.kill('SIGKILL');
    await rm(root, { recursive: true, force: true });
    throw error;
  }

  const stopNode = async (node: RedisClusterNode, signal: NodeJS.Signals) => {
    if (node.child.exitCode !== null || node.child.signalCode !== null) return;
    const exited = new Promise((resolve) => node.child.once('exit', resolve));
    node.child.kill(signal);
    await exited;
  };

  return {
    url: ports.map((port) => `redis://127.0.0.1:${port}`).join(','),
    nodes,
    async restartMaster(index, downMs = 500) {
      const node = nodes[index];
      if (!node) throw new Error(`no node ${index}`);
      await stopNode(node, 'SIGKILL');
      await sleep(downMs);
      node.child = startNode(binary, node.port, node.dir);
      await waitUntil('the restarted master rejoins', clusterOk(ports));
    },
    async keyCount() {
      const sizes = await Promise.all(
        nodes.map(async (node) => {
          const client = new Redis({ port: node.port, host: '127.0.0.1', maxRetriesPerRequest: 1 });
          try {
            return await client.dbsize();
          } finally {
            client.disconnect();
          }
        }),
      );
      return sizes.reduce((sum, size) => sum + size, 0);
    },
    async stop() {
      await Promise.all(nodes.map((node) => stopNode(node, 'SIGKILL')));
      await rm(root, { recursive: true, force: true });
    },
  };
}

let current: LocalRedisCluster | null = null;

/**
 * Runs the test file on a Redis Cluster of its own: call it before importing the tests, e.g.
 * `runOnRedisCluster(); await import('./bank.test.js');`, and every server those tests start
 * (startTestServer, startCluster) gets the cluster's nodes as REDIS_URL.
 */
export function runOnRedisCluster(): void {
  beforeAll(async () => {
    current = await startRedisCluster();
    useTestRedisUrl(current.url);
  }, 60_000);
  afterAll(async () => {
    useTestRedisUrl(null);
    const cluster = current;
    current = null;
    if (!cluster) return;
    const keys = await cluster.keyCount();
    await cluster.stop();
    // A guard on the wrapper itself: tests that silently ran against another Redis prove nothing.
    if (keys === 0) throw new Error('the tests wrote nothing to the Redis Cluster');
  });
}

/** The cluster `runOnRedisCluster` started (inside a test). */
export function currentRedisCluster(): LocalRedisCluster {
  if (!current) throw new Error('no Redis Cluster: call runOnRedisCluster() first');
  return current;
}
