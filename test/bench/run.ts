/**
 * `npm run bench`: starts the server (or uses BENCH_URL with BENCH_ADMIN_TOKEN), drives it from this
 * separate process with socket.io-client and keep-alive HTTP, and prints a table of medians; the same
 * figures go to test/output/bench.json. Ceilings (bare Fastify, Redis, Postgres routes) are measured in
 * the same run so every figure is also a ratio to what the machine can do at all.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import pg from 'pg';
import { createEmptyDatabase } from '../helpers/database.js';
import { imEnv, startFakeTencentIm } from '../helpers/fake-tencent-im.js';
import { deleteKeysWithPrefix } from '../helpers/redis.js';
import { startRedisCluster } from '../helpers/redis-cluster.js';
import { TEST_REDIS_URL, uniqueName } from '../helpers/services.js';
import { roomFanout } from './fanout.js';
import { imNoticeDelivery } from './im-delivery.js';
import { runHttpLoad } from './load.js';
import { type Child, startChild, usageOf } from './processes.js';
import { pusherHeartbeats } from './roomservice.js';
import { type BenchUser, callSetup, createUsers, distribution, openSockets, post } from './scenarios.js';
import { measureTransitions } from './transitions.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const quick = process.env.BENCH_QUICK === '1';
/**
 * `BENCH_ONLY=live,setup` runs only those sections (ceilings, transitions, polling, setup, sockets,
 * heartbeats, im, memory, live, cluster: the live-call section again with the server on a local
 * 3-master Redis Cluster).
 */
const only = process.env.BENCH_ONLY?.split(',').map((name) => name.trim());
const wants = (section: string) => !only || only.includes(section);
/** Node flags of the processes whose memory is measured (see idleSocketCost). */
const gcOnSignal = ['--expose-gc', '--import', path.join(root, 'test/bench/gc-on-signal.ts')];
/** Idle sockets opened for the memory figures. */
const socketCount = 2000;
/** Extra node flags for the server under test, e.g. `--cpu-prof --cpu-prof-dir=test/output/prof`. */
const serverNodeArgs = process.env.BENCH_SERVER_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
const seconds = (n: number) => (quick ? Math.max(1, n / 3) : n) * 1000;
const results: Record<string, unknown> = {};
const rows: [string, string, string][] = [];
const report = (name: string, value: string, note = '') => {
  rows.push([name, value, note]);
  console.log(`${name.padEnd(48)} ${value.padEnd(22)} ${note}`);
};
const fmt = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');

async function main() {
  const database = await createEmptyDatabase('bench');
  const prefix = `${uniqueName('bench')}:`;
  const adminToken = randomBytes(16).toString('hex');
  const children: Child[] = [];
  const serverEnv = (extra: Record<string, string>) => ({
    DATABASE_URL: database.url,
    REDIS_URL: TEST_REDIS_URL,
    REDIS_PREFIX: prefix,
    ADMIN_TOKEN: adminToken,
    DATA_DIR: path.join(os.tmpdir(), `bench-${process.pid}`),
    RATE_LIMIT_PER_MINUTE: '1000000',
    ...extra,
  });
  const startServer = async (extra: Record<string, string> = {}, nodeArgs: string[] = []) => {
    const child = await startChild(path.join(root, 'src/server.ts'), serverEnv(extra), '/healthz', [
      ...serverNodeArgs,
      ...nodeArgs,
    ]);
    children.push(child);
    return child;
  };
  try {
    console.log(
      `machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, node ${process.version}`,
    );
    results.machine = {
      cpus: os.cpus().length,
      model: os.cpus()[0]?.model,
      memoryGiB: os.totalmem() / 2 ** 30,
      node: process.version,
    };

    let bareRedisRps = Number.NaN;
    if (wants('ceilings')) bareRedisRps = await measureCeilings(serverEnv({}), children);
    if (wants('transitions')) await measureRuntime(prefix);

    // Users for the call scenarios, created once on a server that is then stopped.
    const pairCount = quick ? 100 : 300;
    let pairs: { guest: BenchUser; anchor: BenchUser }[] = [];
    const needsServer = ['polling', 'setup', 'sockets', 'memory', 'live', 'cluster'].some(wants);
    if (needsServer) {
      const server = await startServer({ BILLING_INTERVAL_MS: '60000' });
      const base = process.env.BENCH_URL ?? server.url;
      const guests = await createUsers(base, adminToken, pairCount, { role: 'guest', diamond: 1_000_000 });
      const anchors = await createUsers(base, adminToken, pairCount, { role: 'anchor', unitPrice: 10 });
      pairs = guests.map((g, i) => ({ guest: g, anchor: anchors[i]! }));
      if (wants('polling')) await measurePolling(base, adminToken, bareRedisRps);
      if (wants('setup')) await measureCallSetup(server, base, pairs);
      await server.stop();
    }

    if (wants('sockets')) {
      // On a fresh process so earlier scenarios' garbage does not blur the memory figure.
      const fresh = await startServer({}, gcOnSignal);
      const known = pairs.flatMap((pair) => [pair.guest, pair.anchor]);
      const more = await createUsers(fresh.url, adminToken, Math.max(0, socketCount - known.length), {
        role: 'guest',
      });
      await measureSockets(fresh, adminToken, [...known, ...more].slice(0, socketCount));
      await fresh.stop();
    }

    if (wants('heartbeats')) await measureHeartbeats(startServer);
    if (wants('im')) await measureImDelivery(prefix);
    if (wants('memory')) await measureRedisMemory(pairs, adminToken, startServer);

    const single = wants('live')
      ? await measureLiveCalls(database.url, pairs, startServer, 'one Redis')
      : null;
    if (wants('cluster')) {
      // The same section, the server's Redis being three masters on this same machine.
      const cluster = await startRedisCluster();
      try {
        const clustered = await measureLiveCalls(
          database.url,
          pairs,
          (extra) => startServer({ ...extra, REDIS_URL: cluster.url }),
          'Redis Cluster',
        );
        if (single) compareLiveCalls(single, clustered);
      } finally {
        await cluster.stop();
      }
    }
  } finally {
    for (const child of children) await child.stop();
    await database.drop();
    await deleteKeysWithPrefix(prefix);
  }
  const outputDir = path.join(root, 'test/output');
  await mkdir(outputDir, { recursive: true });
  await writeFile(
    path.join(outputDir, 'bench.json'),
    `${JSON.stringify({ at: new Date().toISOString(), only: only ?? 'all', results, rows }, null, 2)}\n`,
  );
  console.log(`\nwritten: test/output/bench.json`);
}

/** 5. What the machine can do at all: bare Fastify, Redis and Postgres routes and a bare Socket.IO server. */
async function measureCeilings(env: Record<string, string>, children: Child[]): Promise<number> {
  const ceiling = await startChild(path.join(root, 'test/bench/ceiling-server.ts'), env, '/json', gcOnSignal);
  children.push(ceiling);
  const route = (path: string, method: 'GET' | 'POST') =>
    runHttpLoad({
      url: `${ceiling.url}${path}`,
      method,
      ...(method === 'POST' ? { body: () => ({}) } : {}),
      connections: 100,
      durationMs: seconds(5),
    });
  const bare = {
    json: await route('/json', 'GET'),
    redis: await route('/redis', 'POST'),
    postgres: await route('/postgres', 'POST'),
  };
  const bareSockets = await idleSocketCost(
    ceiling,
    Array.from({ length: socketCount }, (_, i) => ({ userId: i, token: 'bare' })),
  );
  await ceiling.stop();
  results.ceilings = { ...bare, idleSocketsPerThousandBytes: bareSockets };
  report(
    'ceiling: bare Fastify JSON route',
    `${fmt(bare.json.rps, 0)} req/s`,
    `p99 ${fmt(bare.json.p99Ms)} ms`,
  );
  report(
    'ceiling: bare Redis GET+SET route',
    `${fmt(bare.redis.rps, 0)} req/s`,
    `p99 ${fmt(bare.redis.p99Ms)} ms`,
  );
  report(
    'ceiling: bare Postgres UPDATE+INSERT tx',
    `${fmt(bare.postgres.rps, 0)} req/s`,
    `p99 ${fmt(bare.postgres.p99Ms)} ms`,
  );
  report(
    'ceiling: bare Socket.IO, RSS per 1,000 idle sockets',
    `${fmt(bareSockets / 2 ** 20)} MB`,
    `${socketCount} sockets`,
  );
  return bare.redis.rps;
}

/** Machine events through the full runtime, in this process. */
async function measureRuntime(prefix: string): Promise<void> {
  const transitions = await measureTransitions({
    redisUrl: TEST_REDIS_URL,
    prefix: `${prefix}tr:`,
    rooms: 200,
    durationMs: seconds(5),
  });
  results.transitions = transitions;
  report('runtime: machine transitions per process', `${fmt(transitions.perSecond, 0)} /s`, 'target ≥ 5,000');
}

/** 3. The polling fallback: getMatchInfo with 100 connections. */
async function measurePolling(base: string, adminToken: string, bareRedisRps: number): Promise<void> {
  const [guest] = await createUsers(base, adminToken, 1, { role: 'guest', diamond: 1000 });
  const [anchor] = await createUsers(base, adminToken, 1, { role: 'anchor' });
  await post(base, '/app/live/callApplyMan', { token: anchor!.token, targetUserId: guest!.userId });
  const polling = await runHttpLoad({
    url: `${base}/app/live/getMatchInfo`,
    method: 'POST',
    body: () => ({ token: anchor!.token, targetUserId: guest!.userId }),
    connections: 100,
    durationMs: seconds(5),
  });
  results.getMatchInfo = polling;
  const ratio = Number.isFinite(bareRedisRps)
    ? `${fmt((polling.rps / bareRedisRps) * 100, 0)}% of bare Redis (target ≥ 60%)`
    : 'ceilings not measured in this run';
  report(
    'getMatchInfo, 100 connections',
    `${fmt(polling.rps, 0)} req/s`,
    `p99 ${fmt(polling.p99Ms)} ms, ${ratio}`,
  );
  await post(base, '/app/live/hangUpMan', { token: anchor!.token, targetUserId: guest!.userId });
}

/** 1. Call setup at fixed rates of new calls per second. */
async function measureCallSetup(
  server: Child,
  base: string,
  pairs: { guest: BenchUser; anchor: BenchUser }[],
): Promise<void> {
  const setups: Record<string, unknown> = {};
  let sustained = 0;
  // Unreported warm-up: the first seconds of a fresh server run unoptimised code (V8's JIT), which
  // would blur whichever rate happened to be measured first.
  await callSetup({ baseUrl: base, pairs, rate: 50, durationMs: seconds(6) });
  const rates = process.env.BENCH_SETUP_RATES?.split(',').map(Number) ?? (quick ? [50] : [50, 100, 200]);
  for (const rate of rates) {
    let usage: Awaited<ReturnType<typeof cpuWindow>> | undefined;
    let cost: Awaited<ReturnType<typeof costWindow>> | undefined;
    let window: Awaited<ReturnType<NonNullable<typeof usage>['end']>> | undefined;
    const measured = await callSetup({
      baseUrl: base,
      pairs,
      rate,
      durationMs: seconds(5),
      window: {
        open: async () => {
          usage = await cpuWindow(server);
          cost = await costWindow(server);
        },
        close: async () => {
          [window] = await Promise.all([usage?.end(), cost?.stop()]);
        },
      },
    });
    if (!window || !cost) throw new Error('the call-setup window never opened');
    // The window also holds the hang-ups and settlements of the measured calls, so these are the
    // cost of a whole short call; test/integration/cost counts setup alone, exactly.
    const perCall = await cost.end(measured.completed, window.serverCpuSeconds);
    const outcome = { ...measured, ...window, perCall };
    setups[rate] = outcome;
    if (outcome.failed === 0 && outcome.setup.p99Ms < 100) sustained = rate;
    report(
      `call setup at ${rate}/s`,
      `push p99 ${fmt(outcome.toCalleePush.p99Ms)} ms`,
      `p50 ${fmt(outcome.toCalleePush.p50Ms)}; setup p50/p99 ${fmt(outcome.setup.p50Ms)}/${fmt(outcome.setup.p99Ms)} ms; ${outcome.completed}/${outcome.offered} ok; CPU server ${fmt(outcome.serverCpuPercent, 0)}% / machine ${fmt(outcome.machineCpuPercent, 0)}%`,
    );
    report(
      `  per call at ${rate}/s (setup, hang-up, settlement)`,
      `${fmt(perCall.serverCpuMs, 2)} ms server CPU`,
      `Redis ${fmt(perCall.redisCommands, 0)} commands / ${fmt(perCall.redisRoundTrips, 0)} round trips; Postgres ${fmt(perCall.postgresStatements, 1)} statements`,
    );
  }
  results.callSetup = { byRate: setups, highestRateWithSetupP99Under100ms: sustained };
  report('call setup: highest rate with p99 < 100 ms', `${sustained}/s`, 'target: push p99 < 20 ms at 200/s');
}

/** 6. RoomService pusher heartbeats: 200 rooms of one pusher each, beating as fast as 100 connections go. */
async function measureHeartbeats(
  startServer: (extra: Record<string, string>) => Promise<Child>,
): Promise<void> {
  // Real (not development) Tencent credentials give each room an IM group: the stand-in serves them.
  const im = await startFakeTencentIm({ rateLimit: 100_000 });
  const credentials = { sdkAppId: im.sdkAppId, secretKey: im.secretKey };
  const server = await startServer(imEnv(im));
  try {
    const usage = await cpuWindow(server);
    const beats = await pusherHeartbeats({
      baseUrl: server.url,
      ...credentials,
      rooms: 200,
      connections: 100,
      durationMs: seconds(5),
    });
    const cpu = await usage.end();
    results.heartbeats = { ...beats, ...cpu };
    report(
      'RoomService pusher heartbeats, one process',
      `${fmt(beats.rps, 0)} /s`,
      `p99 ${fmt(beats.p99Ms)} ms, p50 ${fmt(beats.p50Ms)} ms, ${beats.errors} refused, ${beats.pushers} pushers; target ≥ 20,000/s with p99 < 10 ms (≙ ${fmt((beats.rps * 7) / 1000, 0)}k pushers beating every 7 s)`,
    );
  } finally {
    await server.stop();
    await im.close();
  }
}

/** 7. IM notices through the durable delivery queue to the IM stand-in, at Tencent's 200 calls/s. */
async function measureImDelivery(prefix: string): Promise<void> {
  const ratePerSecond = 200;
  const outcome = await imNoticeDelivery({
    redisUrl: TEST_REDIS_URL,
    prefix: `${prefix}im:`,
    rooms: 50,
    messages: quick ? 600 : 2_000,
    ratePerSecond,
  });
  results.imDelivery = { ...outcome, ratePerSecond };
  report(
    'IM group messages delivered (stand-in IM API)',
    `${fmt(outcome.perSecond, 0)} /s`,
    `limit ${ratePerSecond}/s; ${outcome.delivered} delivered, ${outcome.lost} lost, ${outcome.duplicates} twice, in ${fmt(outcome.seconds)} s`,
  );
}

/**
 * 8. Redis memory per live call and per QLive room: `used_memory` before and after holding all the
 * pairs' calls live (and then as many rooms open), divided by their number. Everything a live call
 * keeps in Redis counts: its machine, history, indexes, timer job and its share of the pushes.
 */
async function measureRedisMemory(
  pairs: { guest: BenchUser; anchor: BenchUser }[],
  adminToken: string,
  startServer: (extra: Record<string, string>) => Promise<Child>,
): Promise<void> {
  const im = await startFakeTencentIm({ rateLimit: 100_000 });
  const server = await startServer({ ...imEnv(im), BILLING_INTERVAL_MS: '60000' });
  const redis = new Redis(TEST_REDIS_URL);
  const usedMemory = async () => {
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    return Number((await redis.info('memory')).match(/^used_memory:(\d+)/m)?.[1]);
  };
  try {
    const matchmakers = await createUsers(server.url, adminToken, quick ? 50 : 200, {
      role: 'matchmaker',
      nickname: 'bench',
    });
    const beforeCalls = await usedMemory();
    for (let i = 0; i < pairs.length; i += 25) {
      await Promise.all(
        pairs.slice(i, i + 25).map(async ({ guest: g, anchor: a }) => {
          await post(server.url, '/app/live/callApplyGirl', { token: g.token, targetUserId: a.userId });
          await post(server.url, '/app/live/startCall', { token: a.token, targetUserId: g.userId });
        }),
      );
    }
    const perCall = ((await usedMemory()) - beforeCalls) / pairs.length;
    await Promise.all(
      pairs.map(({ guest: g, anchor: a }) =>
        post(server.url, '/app/live/hangUpGirl', { token: g.token, targetUserId: a.userId }),
      ),
    );
    const beforeRooms = await usedMemory();
    const asMatchmaker = (matchmaker: BenchUser) => ({ authorization: `QLiveToken ${matchmaker.token}` });
    const liveIds = new Map<BenchUser, number>();
    for (let i = 0; i < matchmakers.length; i += 25) {
      await Promise.all(
        matchmakers.slice(i, i + 25).map(async (matchmaker) => {
          const entered = await post(
            server.url,
            '/wx/api/qlive/qlive_room/matchmaker_enter/',
            {},
            asMatchmaker(matchmaker),
          );
          if (entered.status !== 200) throw new Error(`matchmaker_enter ${entered.status}`);
          liveIds.set(matchmaker, Number(entered.body.live_id));
        }),
      );
    }
    const perRoom = ((await usedMemory()) - beforeRooms) / matchmakers.length;
    // Rooms left open would be closed as lost by a later section's server (which deletes the keys
    // between runs) and their `over` retried against a stand-in that is gone, for the rest of the bench.
    for (const [matchmaker, liveId] of liveIds) {
      await post(
        server.url,
        '/wx/api/qlive/qlive_room/live_end/',
        { live_id: liveId },
        asMatchmaker(matchmaker),
      );
    }
    results.redisMemory = {
      perCallBytes: perCall,
      perRoomBytes: perRoom,
      calls: pairs.length,
      rooms: matchmakers.length,
    };
    report(
      'Redis memory per live call',
      `${fmt(perCall / 1024, 1)} KiB`,
      `${pairs.length} calls held live; ≙ ${fmt((perCall * 1_000_000) / 2 ** 30, 1)} GiB for 1,000,000 concurrent calls`,
    );
    report(
      'Redis memory per open QLive room',
      `${fmt(perRoom / 1024, 1)} KiB`,
      `${matchmakers.length} rooms`,
    );
  } finally {
    redis.disconnect();
    await server.stop();
    await im.close();
  }
}

/** 4. Idle authenticated sockets, then fan-out to a room of 1,000 of them. */
async function measureSockets(server: Child, adminToken: string, users: BenchUser[]): Promise<void> {
  const perThousand = await idleSocketCost(server, users);
  results.idleSockets = { sockets: users.length, perThousandBytes: perThousand };
  report(
    'RSS per 1,000 idle authenticated sockets',
    `${fmt(perThousand / 2 ** 20)} MB`,
    `${users.length} sockets, median of 5 samples after a full GC; target ≤ 18 MB`,
  );
  const fanout = await roomFanout({
    baseUrl: server.url,
    adminToken,
    audience: users.slice(0, 1000),
    gifts: quick ? 3 : 10,
  });
  results.roomFanout = fanout;
  report(
    `push fan-out to a room of ${fanout.sockets} audience sockets`,
    `p99 ${fmt(fanout.medianP99Ms)} ms`,
    `median of ${quick ? 3 : 10} gifts' p99; all deliveries p50 ${fmt(fanout.deliveries.p50Ms)} / max ${fmt(fanout.deliveries.maxMs)} ms; ${fanout.missed} missed`,
  );
}

/** 2. Concurrent live calls: N' real calls with the interval set so ticks/s equal N calls at 60 s ticks. */
interface LiveLevel {
  ticksPerSecond: number;
  serverCpuPercent: number;
  lateness: { p99Ms: number; lost: number };
}

async function measureLiveCalls(
  databaseUrl: string,
  pairs: { guest: BenchUser; anchor: BenchUser }[],
  startServer: (extra: Record<string, string>) => Promise<Child>,
  redisLabel: string,
): Promise<Record<number, LiveLevel>> {
  const liveCalls = pairs.length;
  const liveResults: Record<number, LiveLevel> = {};
  const clustered = redisLabel !== 'one Redis';
  let largestN = 0;
  const levels =
    process.env.BENCH_LIVE_N?.split(',').map(Number) ??
    (quick ? [10_000] : [25_000, 50_000, 100_000, 150_000]);
  for (const emulated of levels) {
    const interval = Math.round((60_000 * liveCalls) / emulated);
    const billed = await startServer({ BILLING_INTERVAL_MS: String(interval) });
    const levelStart = new Date();
    for (let i = 0; i < pairs.length; i += 25) {
      await Promise.all(
        pairs.slice(i, i + 25).map(async ({ guest: g, anchor: a }) => {
          await post(billed.url, '/app/live/callApplyGirl', { token: g.token, targetUserId: a.userId });
          await post(billed.url, '/app/live/startCall', { token: a.token, targetUserId: g.userId });
        }),
      );
    }
    const windowStart = new Date();
    const usage = await cpuWindow(billed);
    await new Promise((resolve) => setTimeout(resolve, seconds(10)));
    const cpu = await usage.end();
    const windowEnd = new Date();
    await Promise.all(
      pairs.map(({ guest: g, anchor: a }) =>
        post(billed.url, '/app/live/hangUpGirl', { token: g.token, targetUserId: a.userId }),
      ),
    );
    const lateness = await tickLateness(databaseUrl, interval, windowStart, windowEnd, levelStart);
    await billed.stop();
    const windowSeconds = (windowEnd.getTime() - windowStart.getTime()) / 1000;
    const outcome = {
      liveCalls,
      intervalMs: interval,
      ticksPerSecond: (liveCalls / interval) * 1000,
      ledgerWritesPerSecond: lateness.count / windowSeconds,
      lateness,
      ...cpu,
    };
    liveResults[emulated] = outcome;
    if (lateness.p99Ms < 1000 && lateness.lost === 0) largestN = emulated;
    report(
      `${clustered ? 'cluster: ' : ''}live calls ≙ ${emulated.toLocaleString('en')} at 60 s ticks`,
      `lateness p99 ${fmt(lateness.p99Ms, 0)} ms`,
      `${fmt(outcome.ticksPerSecond, 0)} ticks/s, p50 ${fmt(lateness.p50Ms, 0)}, max ${fmt(lateness.maxMs, 0)} ms, ${lateness.lost} lost, ${fmt(outcome.ledgerWritesPerSecond, 0)} charges/s, CPU server ${fmt(outcome.serverCpuPercent, 0)}% / machine ${fmt(outcome.machineCpuPercent, 0)}%, RSS ${fmt(outcome.serverRssMB, 0)} MB`,
    );
  }
  results[clustered ? 'liveCallsCluster' : 'liveCalls'] = {
    redis: redisLabel,
    byEmulatedN: liveResults,
    largestNWithP99Under1s: largestN,
  };
  report(
    `${clustered ? 'cluster: ' : ''}largest N with tick lateness p99 < 1 s, none lost`,
    largestN.toLocaleString('en'),
    'target ≥ 50,000',
  );
  return liveResults;
}

/** What cluster mode costs: server CPU per tick and tick lateness on the cluster over one Redis, level by level. */
function compareLiveCalls(single: Record<number, LiveLevel>, clustered: Record<number, LiveLevel>): void {
  const ratios: Record<number, { cpuPerTick: number; p99: number }> = {};
  for (const [level, one] of Object.entries(single)) {
    const many = clustered[Number(level)];
    if (!many) continue;
    const cpuPerTick = (run: LiveLevel) => run.serverCpuPercent / run.ticksPerSecond;
    const ratio = {
      cpuPerTick: cpuPerTick(many) / cpuPerTick(one),
      p99: many.lateness.p99Ms / one.lateness.p99Ms,
    };
    ratios[Number(level)] = ratio;
    report(
      `cluster ÷ one Redis at ${Number(level).toLocaleString('en')}`,
      `CPU per tick × ${fmt(ratio.cpuPerTick, 2)}`,
      `tick lateness p99 × ${fmt(ratio.p99, 2)}`,
    );
  }
  results.clusterOverSingle = ratios;
}

/** CPU of the server process (100 % = one core) and of the whole machine (100 % = every core) over a window. */
async function cpuWindow(server: Child) {
  const machineBusy = () => {
    const cpus = os.cpus();
    const total = cpus.reduce((sum, cpu) => sum + Object.values(cpu.times).reduce((a, b) => a + b, 0), 0);
    const idle = cpus.reduce((sum, cpu) => sum + cpu.times.idle, 0);
    return { total, idle };
  };
  const started = performance.now();
  const serverBefore = await usageOf(server.child.pid!);
  const machineBefore = machineBusy();
  return {
    async end() {
      const serverAfter = await usageOf(server.child.pid!);
      const machineAfter = machineBusy();
      const seconds = (performance.now() - started) / 1000;
      const total = machineAfter.total - machineBefore.total;
      return {
        serverCpuPercent: ((serverAfter.cpuSeconds - serverBefore.cpuSeconds) / seconds) * 100,
        machineCpuPercent:
          total > 0 ? (1 - (machineAfter.idle - machineBefore.idle) / total) * 100 : Number.NaN,
        serverRssMB: serverAfter.rssBytes / 2 ** 20,
        serverCpuSeconds: serverAfter.cpuSeconds - serverBefore.cpuSeconds,
      };
    },
  };
}

/**
 * What the server asked of Redis and Postgres over a window: Redis's own INFO counters (commands,
 * those run by scripts included, and socket reads, i.e. round trips; the bench's Redis serves nobody
 * else while it runs) and the server's pg_statements_sent_total from /metrics.
 */
async function costWindow(server: Child) {
  const redis = new Redis(TEST_REDIS_URL);
  const read = async () => {
    const info = await redis.info('all');
    const commands = [...info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)]
      .filter((match) => match[1] !== 'info')
      .reduce((sum, match) => sum + Number(match[2]), 0);
    const reads = Number(info.match(/^total_reads_processed:(\d+)/m)?.[1]);
    const metrics = await fetch(`${server.url}/metrics`).then((response) => response.text());
    const statements = Number(metrics.match(/^pg_statements_sent_total (\d+)/m)?.[1]);
    return { commands, reads, statements };
  };
  const before = await read();
  let after: Awaited<ReturnType<typeof read>> | undefined;
  return {
    /** Reads the counters at the window's end (end() reads them then if this was not called). */
    async stop() {
      after ??= await read();
    },
    async end(calls: number, serverCpuSeconds: number) {
      after ??= await read();
      redis.disconnect();
      const per = (n: number) => (calls > 0 ? n / calls : Number.NaN);
      return {
        redisCommands: per(after.commands - before.commands),
        redisRoundTrips: per(after.reads - before.reads),
        postgresStatements: per(after.statements - before.statements),
        serverCpuMs: per(serverCpuSeconds * 1000),
      };
    },
  };
}

/**
 * How late each minute was charged: minute n of a call is due (n − 1) intervals after minute 1 was
 * charged (at START); its ledger row's commit time minus that is the lateness.
 */
/** `callsSince`: only calls whose first minute was charged after it (this level's calls, not earlier ones'). */
async function tickLateness(databaseUrl: string, intervalMs: number, from: Date, to: Date, callsSince: Date) {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const rows = await client.query(
      `with minutes as (
         select reference, (metadata->>'minute')::int as minute, created_at
           from ledger_transactions where kind = 'call_minute')
       select extract(epoch from (m.created_at - first.created_at)) * 1000 - (m.minute - 1) * $1::float8 as late_ms
         from minutes m join minutes first on first.reference = m.reference and first.minute = 1
        where m.minute > 1 and m.created_at between $2 and $3`,
      [intervalMs, from, to],
    );
    // Lost: a minute due in the window (up to 1 s before its end) that its own job never charged,
    // i.e. no charge at all or only the settlement's catch-up (over 5 s late).
    const lost = await client.query(
      `with minutes as (
         select reference, (metadata->>'minute')::int as minute, created_at
           from ledger_transactions where kind = 'call_minute'),
       due as (
         select f.reference, n, f.created_at + (n - 1) * $1::float8 * interval '1 millisecond' as due_at
           from minutes f
           cross join lateral generate_series(
             2, floor(extract(epoch from ($3::timestamptz - f.created_at)) * 1000 / $1::float8)::int + 1) n
          where f.minute = 1 and f.created_at >= $4)
       select count(*)::int as lost from due d
         left join minutes m on m.reference = d.reference and m.minute = d.n
                            and m.created_at <= d.due_at + interval '5 seconds'
        where d.due_at between $2 and $3::timestamptz - interval '1 second' and m.reference is null`,
      [intervalMs, from, to, callsSince],
    );
    return {
      ...distribution(rows.rows.map((row: { late_ms: number }) => Number(row.late_ms))),
      lost: Number(lost.rows[0]?.lost ?? 0),
    };
  } finally {
    await client.end();
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);

export type { BenchUser };

/**
 * RSS a server process gains per 1,000 idle sockets: the median of 5 samples before and after
 * opening them, each taken just after a full garbage collection (the processes run with
 * gc-on-signal.ts). Without it the figure counted garbage left by the handshakes and jumped
 * between 9 and 24 MB from run to run.
 */
async function idleSocketCost(server: Child, users: BenchUser[]): Promise<number> {
  const settledRss = async () => {
    const samples: number[] = [];
    for (let i = 0; i < 5; i++) {
      server.child.kill('SIGUSR2');
      await new Promise((resolve) => setTimeout(resolve, 600));
      samples.push((await usageOf(server.child.pid!)).rssBytes);
    }
    return samples.sort((a, b) => a - b)[2]!;
  };
  const warmup = await openSockets(server.url, users.slice(0, 100));
  for (const socket of warmup) socket.disconnect();
  await new Promise((resolve) => setTimeout(resolve, 2000));
  const before = await settledRss();
  const sockets = await openSockets(server.url, users);
  await new Promise((resolve) => setTimeout(resolve, 2000));
  const after = await settledRss();
  for (const socket of sockets) socket.disconnect();
  return ((after - before) / sockets.length) * 1000;
}
