/**
 * Redis persistence of machine instances: one hash per instance holding `{snapshot, version}`,
 * the armed timers and the outbox (one `ob:<version>` field per transition whose effects have not
 * finished), plus the history stream and two indexes. All writes go through the Lua scripts in
 * lua-scripts.ts; see keys.ts for the layout.
 */
import type { Redis } from 'ioredis';
import type { StateValue } from 'xstate';
import type { OutboxEffect, Timers } from './effect-plan.js';
import { historyArgs, parseHistory } from './history.js';
import { activeKey, instanceKeys, outboxKey, parseMember } from './keys.js';
import { claimScript, clearBatchScript, finalizeScript, saveScript } from './lua-scripts.js';
import type { RuntimeEvent, TransitionRecord } from './types.js';

export interface StoredInstance {
  version: number;
  snapshotJson: string;
  timers: Timers;
  updatedAt: number;
}

/** What one transition left to do after its save; deleted once done. */
export interface OutboxBatch {
  version: number;
  /** When the batch was saved; `recoverPending` only touches batches older than its threshold. */
  savedAt: number;
  event: RuntimeEvent;
  from: StateValue | null;
  to: StateValue;
  actor: string;
  /** The transition reached a final state: run `onFinal`, then expire the keys. */
  final: boolean;
  effects: OutboxEffect[];
}

export interface SaveInput {
  /** 0 to create (the instance must not exist). */
  expectedVersion: number;
  snapshotJson: string;
  timers: Timers;
  record: TransitionRecord;
  batch: OutboxBatch | null;
  now: number;
}

export type SaveOutcome = 'saved' | 'conflict' | 'missing';

const batchField = (version: number): string => `ob:${version}`;

export class MachineStore {
  constructor(
    private readonly redis: Redis,
    readonly prefix: string,
    private readonly historyMaxLen: number,
  ) {}

  async load(kind: string, id: string): Promise<StoredInstance | null> {
    const { machine } = instanceKeys(this.prefix, kind, id);
    const [version, snapshotJson, timers, updatedAt] = await this.redis.hmget(
      machine,
      'version',
      'snapshot',
      'timers',
      'updatedAt',
    );
    if (!version || !snapshotJson) return null;
    return {
      version: Number(version),
      snapshotJson,
      timers: timers ? (JSON.parse(timers) as Timers) : {},
      updatedAt: Number(updatedAt),
    };
  }

  async currentVersion(kind: string, id: string): Promise<number | null> {
    const version = await this.redis.hget(instanceKeys(this.prefix, kind, id).machine, 'version');
    return version === null ? null : Number(version);
  }

  async save(kind: string, id: string, input: SaveInput): Promise<SaveOutcome> {
    const k = instanceKeys(this.prefix, kind, id);
    const result = await saveScript.run(
      this.redis,
      [k.machine, k.history, k.active, k.outbox],
      [
        String(input.expectedVersion),
        String(input.record.version),
        input.snapshotJson,
        JSON.stringify(input.timers),
        String(input.now),
        input.batch ? JSON.stringify(input.batch) : '',
        String(this.historyMaxLen),
        k.member,
        id,
        kind,
        ...historyArgs(input.record),
      ],
    );
    return result === 1 ? 'saved' : result === -1 ? 'missing' : 'conflict';
  }

  async clearBatch(kind: string, id: string, version: number): Promise<void> {
    const k = instanceKeys(this.prefix, kind, id);
    await clearBatchScript.run(this.redis, [k.machine, k.outbox], [batchField(version), k.member]);
  }

  async finalize(kind: string, id: string, version: number, ttlMs: number, now: number): Promise<void> {
    const k = instanceKeys(this.prefix, kind, id);
    await finalizeScript.run(
      this.redis,
      [k.machine, k.outbox, k.history, k.active],
      [batchField(version), k.member, id, String(ttlMs), String(now)],
    );
  }

  async isFinalized(kind: string, id: string): Promise<boolean> {
    return (await this.redis.hexists(instanceKeys(this.prefix, kind, id).machine, 'finalizedAt')) === 1;
  }

  /** The instance's pending outbox batches, oldest first (`exists: false`: the instance is gone). */
  async pendingBatches(kind: string, id: string): Promise<{ exists: boolean; batches: OutboxBatch[] }> {
    const all = await this.redis.hgetall(instanceKeys(this.prefix, kind, id).machine);
    if (!all.version) return { exists: false, batches: [] };
    const batches = Object.entries(all)
      .filter(([field]) => field.startsWith('ob:'))
      .map(([, json]) => JSON.parse(json) as OutboxBatch)
      .sort((a, b) => a.version - b.version);
    return { exists: true, batches };
  }

  /** Claims instances whose outbox was last claimed or written before `olderThan`. */
  async claimPending(olderThan: number, now: number, limit: number): Promise<{ kind: string; id: string }[]> {
    const members = (await claimScript.run(
      this.redis,
      [outboxKey(this.prefix)],
      [String(olderThan), String(now), String(limit)],
    )) as string[];
    return members.flatMap((m) => parseMember(m) ?? []);
  }

  async dropFromOutbox(kind: string, id: string): Promise<void> {
    await this.redis.zrem(outboxKey(this.prefix), `${kind}:${id}`);
  }

  async history(kind: string, id: string): Promise<TransitionRecord[]> {
    const entries = await this.redis.xrange(instanceKeys(this.prefix, kind, id).history, '-', '+');
    return parseHistory(entries);
  }

  /** Ids of the kind's unfinished instances, most recently updated first. */
  async listActive(kind: string, limit: number): Promise<string[]> {
    return this.redis.zrevrange(activeKey(this.prefix, kind), 0, limit - 1);
  }
}
