/**
 * Runtime test harness: one unique key prefix per test file (also the BullMQ prefix), any number
 * of runtimes on it, each with its own ioredis client like a separate server process, and a
 * cleanup that closes them all and deletes every key under the prefix.
 */
import { Redis } from 'ioredis';
import type { UpdateNotice } from '../../../machines/notices.js';
import {
  connectionFromUrl,
  createMachineRuntime,
  defineMachine,
  type EffectContext,
  type FinalRecord,
  type MachineRuntime,
  type MachineRuntimeOptions,
  machineKind,
  type RuntimeLogger,
  type SavedTransition,
  type TransitionNotice,
} from '../../../src/runtime/index.js';
import { deleteKeysWithPrefix } from '../../helpers/redis.js';
import { TEST_REDIS_URL, uniqueName } from '../../helpers/services.js';
import { doorMachine, doorView } from './door-machine.js';

export type Kind = 'door';
export const DOOR = machineKind<typeof doorMachine, ReturnType<typeof doorView>>('door');
export type DoorRuntime = MachineRuntime<Kind>;
export type RecordParams = { what: string; count: number };
export type RecordHandler = (ctx: EffectContext<RecordParams>) => Promise<void>;

export interface RuntimeSetup {
  record?: RecordHandler;
  updates?: (transition: SavedTransition) => readonly UpdateNotice[];
  onTransition?: (n: TransitionNotice<Kind>) => Promise<void> | void;
  onFinal?: (r: FinalRecord<Kind>) => Promise<void> | void;
  options?: Partial<MachineRuntimeOptions<Kind>>;
}

export interface LogLine {
  level: string;
  msg: string | undefined;
  obj: object;
}

export function runtimeHarness(label: string) {
  const prefix = `${uniqueName(label)}:`;
  const clients: Redis[] = [];
  const runtimes: DoorRuntime[] = [];
  const logs: LogLine[] = [];
  const logger: RuntimeLogger = {
    debug: (obj, msg) => logs.push({ level: 'debug', msg, obj }),
    info: (obj, msg) => logs.push({ level: 'info', msg, obj }),
    warn: (obj, msg) => logs.push({ level: 'warn', msg, obj }),
    error: (obj, msg) => logs.push({ level: 'error', msg, obj }),
  };

  function client(): Redis {
    const redis = new Redis(TEST_REDIS_URL);
    clients.push(redis);
    return redis;
  }

  function runtime(setup: RuntimeSetup = {}): DoorRuntime {
    const rt = createMachineRuntime<Kind>({
      redis: client(),
      prefix,
      queue: { connection: connectionFromUrl(TEST_REDIS_URL), concurrency: 8 },
      definitions: [
        defineMachine({
          kind: DOOR,
          machine: doorMachine,
          view: doorView,
          effects: { record: setup.record ?? (async () => {}) },
          ...(setup.updates ? { updates: setup.updates } : {}),
        }),
      ],
      onTransition: setup.onTransition,
      onFinal: setup.onFinal,
      logger,
      ...setup.options,
    });
    runtimes.push(rt);
    return rt;
  }

  async function cleanup(): Promise<void> {
    await Promise.allSettled(runtimes.map((rt) => rt.close()));
    for (const c of clients) c.disconnect();
    // The BullMQ prefix is the key prefix without its trailing ':', so this covers both.
    await deleteKeysWithPrefix(prefix.slice(0, -1));
  }

  return { prefix, logs, client, runtime, cleanup };
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls `check` until it returns a truthy value (returned) or the time is up (throws). */
export async function waitFor<T>(
  check: () => Promise<T> | T,
  timeoutMs = 5_000,
  what = 'condition',
): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

let counter = 0;
/** A fresh instance id per test. */
export const newId = (label = 'd'): string => `${label}-${Date.now().toString(36)}-${counter++}`;
