/**
 * Redis persistence of machine instances: one hash per instance holding `{snapshot, version}`,
 * the armed timers and the outbox (one `ob:<version>` field per transition whose effects have not
 * finished), plus the history stream and two indexes. All writes go through the Lua scripts in
 * lua-scripts.ts; see keys.ts for the layout. The indexes come in `shards` groups per kind; the
 * scans here (`claimPending`, `listActive`) read every group.
 */
import type { StateValue } from 'xstate';
import type { RedisClient } from '../redis/connection.js';
import type { OutboxEffect, Timers } from './effect-plan.js';
import { historyArgs, parseHistory } from './history.js';
import { activeKey, instanceKeys, outboxKey, parseMember } from './keys.js';
import { claimScript, clearBatchScript, finalizeScript, saveScript } from './lua-scripts.js';
import type { RuntimeEvent, TransitionRecord } from './types.js';

/** The last transition of an instance, and the one that entered its current state (null: not found). */
export interface RecentHistory {
  last: TransitionRecord | null;
  entered: TransitionRecord | null;
}

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
    private readonly redis: RedisClient,
    readonly prefix: string,
    private readonly historyMaxLen: number,
    /** Index groups per kind (keys.ts); 1 on a single Redis. Every process of a deployment must agree. */
    readonly shards = 1,
  ) {}

  private keys(kind: string, id: string) {
    return instanceKeys(this.prefix, kind, id, this.shards);
  }

  private groups(): number[] {
    return Array.from({ length: this.shards }, (_, shard) => shard);
  }

  async load(kind: string, id: string): Promise<StoredInstance | null> {
    const { machine } = this.keys(kind, id);
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
    const version = await this.redis.hget(this.keys(kind, id).machine, 'version');
    return version === null ? null : Number(version);
  }

  async save(kind: string, id: string, input: SaveInput): Promise<SaveOutcome> {
    const k = this.keys(kind, id);
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
    const k = this.keys(kind, id);
    await clearBatchScript.run(this.redis, [k.machine, k.outbox], [batchField(version), k.member]);
  }

  async finalize(kind: string, id: string, version: number, ttlMs: number, now: number): Promise<void> {
    const k = this.keys(kind, id);
    await finalizeScript.run(
      this.redis,
      [k.machine, k.outbox, k.history, k.active],
      [batchField(version), k.member, id, String(ttlMs), String(now)],
    );
  }

  async isFinalized(kind: string, id: string): Promise<boolean> {
    return (await this.redis.hexists(this.keys(kind, id).machine, 'finalizedAt')) === 1;
  }

  /** The instance's pending outbox batches, oldest first (`exists: false`: the instance is gone). */
  async pendingBatches(kind: string, id: string): Promise<{ exists: boolean; batches: OutboxBatch[] }> {
    const all = await this.redis.hgetall(this.keys(kind, id).machine);
    if (!all.version) return { exists: false, batches: [] };
    const batches = Object.entries(all)
      .filter(([field]) => field.startsWith('ob:'))
      .map(([, json]) => JSON.parse(json) as OutboxBatch)
      .sort((a, b) => a.version - b.version);
    return { exists: true, batches };
  }

  /** Claims instances of `kinds` whose outbox was last claimed or written before `olderThan`, up to `limit` per group. */
  async claimPending(
    kinds: readonly string[],
    olderThan: number,
    now: number,
    limit: number,
  ): Promise<{ kind: string; id: string }[]> {
    const claims = kinds.flatMap((kind) =>
      this.groups().map(
        async (shard) =>
          (await claimScript.run(
            this.redis,
            [outboxKey(this.prefix, kind, shard)],
            [String(olderThan), String(now), String(limit)],
          )) as string[],
      ),
    );
    return (await Promise.all(claims)).flat().flatMap((m) => parseMember(m) ?? []);
  }

  async dropFromOutbox(kind: string, id: string): Promise<void> {
    const k = this.keys(kind, id);
    await this.redis.zrem(k.outbox, k.member);
  }

  /**
   * What a live table needs from an instance's history without reading all of it (a busy room
   * collects thousands of ENTER/LEAVE entries): the last transition, and the one that entered the
   * current state, found by reading the history stream backwards a page at a time.
   */
  async recentHistory(kind: string, id: string): Promise<RecentHistory> {
    const key = this.keys(kind, id).history;
    const page = 50;
    let last: TransitionRecord | null = null;
    let end = '+';
    for (;;) {
      const entries = await this.redis.xrevrange(key, end, '-', 'COUNT', page);
      const records = parseHistory(entries);
      last ??= records[0] ?? null;
      const entered = records.find(
        (record) => record.from === null || JSON.stringify(record.from) !== JSON.stringify(record.to),
      );
      if (entered) return { last, entered };
      const oldest = entries[entries.length - 1];
      if (entries.length < page || !oldest) return { last, entered: null };
      end = `(${oldest[0]}`;
    }
  }

  async history(kind: string, id: string): Promise<TransitionRecord[]> {
    const entries = await this.redis.xrange(this.keys(kind, id).history, '-', '+');
    return parseHistory(entries);
  }

  /** Ids of the kind's unfinished instances, most recently updated first. */
  async listActive(kind: string, limit: number): Promise<string[]> {
    if (this.shards === 1) return this.redis.zrevrange(activeKey(this.prefix, kind, 0), 0, limit - 1);
    const groups = await Promise.all(
      this.groups().map((shard) =>
        this.redis.zrevrange(activeKey(this.prefix, kind, shard), 0, limit - 1, 'WITHSCORES'),
      ),
    );
    const entries: { id: string; at: number }[] = [];
    for (const group of groups)
      for (let i = 0; i + 1 < group.length; i += 2)
        entries.push({ id: group[i] as string, at: Number(group[i + 1]) });
    return entries
      .sort((a, b) => b.at - a.at)
      .slice(0, limit)
      .map((entry) => entry.id);
  }
}
