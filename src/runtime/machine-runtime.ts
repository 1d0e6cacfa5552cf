/**
 * The machine runtime: the host side of the pure call and room machines. No actor is kept alive;
 * each event is: load `{snapshot, version}` from the instance's hash → `snapshot.can(event)`? →
 * xstate's pure `transition()` → plan the returned actions (effect-plan.ts) → one Lua
 * compare-and-set that writes snapshot, timers, outbox batch, history entry and indexes → run the
 * batch (batch-runner.ts) → `onTransition` → on a final state `onFinal` and expiry.
 *
 * A lost compare-and-set reloads and recomputes from the newer snapshot (bounded retries with
 * jitter), so concurrent senders in any number of processes each apply exactly once, in some
 * order, and an event that stops being acceptable after the reload is reported as not applied.
 *
 * Effects of two transitions of one instance saved by different processes can run out of order
 * (v5's after v6's). Timers stay right anyway (a job is applied only while armed), ledger writes
 * are idempotent, and every `onTransition` carries `version`: clients drop a push older than the
 * last one they saw.
 *
 * The host must: call `startWorker()` in every process that should fire delayed events, have
 * `recoverPending()` run periodically somewhere (`startWorker({ recoverEveryMs })` does it) so
 * batches left by a crashed process or a failing effect are run again, and `close()` the runtime
 * before quitting the ioredis client it passed in. A batch that fails in a live process is also
 * run again by that process soon (`retryFailedMs`), without waiting for the recovery threshold.
 */
import { type AnyMachineSnapshot, type AnyStateMachine, initialTransition } from 'xstate';
import { AppError, badRequest, conflict, notFound, unavailable } from '../errors.js';
import type { RedisClient } from '../redis/connection.js';
import { BatchRunner } from './batch-runner.js';
import {
  DEFAULT_QUEUE_NAME,
  type DelayedEventData,
  DelayedEvents,
  type DelayedEventsOptions,
} from './delayed-events.js';
import { type ActionLike, planEffects, type Timers } from './effect-plan.js';
import { pureTransition } from './inert-scope.js';
import { assertId, assertKind, bullPrefixOf } from './keys.js';
import { handleOf, type MachineHandle } from './machine-handle.js';
import { MachineStore, type OutboxBatch, type RecentHistory } from './machine-store.js';
import { OutboxRecovery, type RecoveryOptions, type RecoveryReport } from './outbox-recovery.js';
import { decodeSnapshot, encodeSnapshot } from './snapshot-codec.js';
import { deferredJobId, TimerTouches, type TouchOutcome } from './timer-touch.js';
import type {
  AnyMachineDefinition,
  ArmedTimer,
  FinalRecord,
  InstanceState,
  MachineKind,
  RuntimeEvent,
  RuntimeLogger,
  SendOptions,
  SendResult,
  TransitionNotice,
  TransitionRecord,
} from './types.js';

export interface MachineRuntimeOptions<K extends string = string> {
  /** Used for every runtime command; owned by the caller (not closed by `close()`). A `Cluster` works too. */
  redis: RedisClient;
  /** Key prefix of every key, e.g. `co:`; BullMQ's prefix is derived from it (keys.ts `bullPrefixOf`). */
  prefix: string;
  /**
   * Index groups per kind (keys.ts): 1 (default) on one Redis, `CLUSTER_SHARDS` on a Redis Cluster so
   * the indexes spread over its masters. Every process sharing the prefix must use the same value.
   */
  shards?: number;
  queue: Omit<DelayedEventsOptions, 'prefix' | 'logger'> & { prefix?: string };
  /** Kinds known from the start; more with `register` (before `startWorker`). */
  definitions?: readonly AnyMachineDefinition[];
  onTransition?: (notice: TransitionNotice<K>) => Promise<void> | void;
  onFinal?: (record: FinalRecord<K>) => Promise<void> | void;
  /** How long a finished instance stays readable in Redis (default 1 h). */
  finishedTtlMs?: number;
  /** Approximate cap of each history stream (default 10 000 entries). */
  historyMaxLen?: number;
  /** Compare-and-set attempts per event before giving up with 503 (default 100). */
  maxAttempts?: number;
  /** `recoverPending` only runs batches at least this old (default 30 s; keep above the slowest effect). */
  recoverAfterMs?: number;
  /**
   * A batch whose effects fail on the live path is run again by the same process after this delay,
   * doubling (up to 10×) until it succeeds or is `recoverAfterMs` old (default 500 ms; 0: only
   * `recoverPending` runs it again).
   */
  retryFailedMs?: number;
  logger?: RuntimeLogger;
}

export interface MachineRuntime<K extends string = string> {
  /**
   * Adds a kind. Its definition's effects may hold handles made by `of` before it was registered
   * (a call's effects send the call events), so the domain builds its definition after the runtime.
   */
  register(definition: AnyMachineDefinition): void;
  /** A handle typed by the kind's machine and view: no caller casts a snapshot. */
  of<M extends AnyStateMachine, V>(kind: MachineKind<M, V>): MachineHandle<M, V>;
  /** The registered kinds' names. */
  kinds(): string[];
  /** An archived snapshot (`FinalRecord.snapshot` as stored) of a registered kind, decoded. */
  restore(kind: K, persisted: unknown): AnyMachineSnapshot;
  /** The last transition and the one that entered the current state, without reading all the history. */
  recentHistory(kind: K, id: string): Promise<RecentHistory>;
  /** `initialTransition` + create-if-absent. A second create of a live id is a conflict (409). */
  create(
    kind: K,
    id: string,
    input?: unknown,
    options?: SendOptions & { at?: number },
  ): Promise<InstanceState>;
  /** Applies one event; `applied: false` (state untouched) when the machine does not accept it now. */
  send(kind: K, id: string, event: RuntimeEvent, options?: SendOptions): Promise<SendResult>;
  get(kind: K, id: string): Promise<InstanceState | null>;
  /** Whether Redis holds the instance (finished ones until they expire): one HGET, nothing decoded. */
  exists(kind: K, id: string): Promise<boolean>;
  history(kind: K, id: string): Promise<TransitionRecord[]>;
  listActive(kind: K, options?: { limit?: number }): Promise<string[]>;
  /** The timers an instance has armed now, each with its BullMQ job as the queue sees it. */
  timers(kind: K, id: string): Promise<ArmedTimer[]>;
  /**
   * Pushes an armed timer back without a transition (timer-touch.ts): when its job comes due, it is
   * deferred to `at + delay`. One Redis round trip. `require` names an attribute (see
   * `setAttribute`) that must hold `value`, checked in the same call.
   */
  touchTimer(
    kind: K,
    id: string,
    sendId: string,
    options?: { at?: number; require?: { attribute: string; value: string } },
  ): Promise<TouchOutcome>;
  /** Side data kept in the instance's hash (not in the snapshot), for `touchTimer`'s `require`; false when there is no instance. */
  setAttribute(kind: K, id: string, name: string, value: string): Promise<boolean>;
  /** Re-runs outbox batches older than `recoverAfterMs` (or `olderThanMs`). */
  recoverPending(options?: RecoveryOptions): Promise<RecoveryReport>;
  /** Starts the BullMQ worker that fires delayed events (and, optionally, periodic recovery). */
  startWorker(options?: { recoverEveryMs?: number }): void;
  close(): Promise<void>;
  readonly delayed: DelayedEvents;
  /** Index groups per kind (`MachineRuntimeOptions.shards`); part of every key (keys.ts `instanceKeys`). */
  readonly shards: number;
}

const consoleLogger: RuntimeLogger = {
  debug: () => {},
  info: () => {},
  warn: (obj, msg) => console.warn(msg, obj),
  error: (obj, msg) => console.error(msg, obj),
};

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export interface FireResult {
  applied: boolean;
  reason: SendResult['reason'] | 'gone' | 'deferred' | null;
  version: number | null;
}

interface TimerGuard {
  sendId: string;
  jobId: string;
}

export function createMachineRuntime<K extends string = string>(
  options: MachineRuntimeOptions<K>,
): MachineRuntime<K> {
  return new Runtime(options);
}

class Runtime<K extends string> implements MachineRuntime<K> {
  readonly delayed: DelayedEvents;
  readonly shards: number;
  private readonly store: MachineStore;
  private readonly runner: BatchRunner<K>;
  private readonly logger: RuntimeLogger;
  private readonly recovery: OutboxRecovery<K>;
  private readonly maxAttempts: number;
  private readonly touches: TimerTouches;
  /** Which instance each state `get()` handed out is, and its timers, so a send with that basis needs no read. */
  private readonly readStates = new WeakMap<InstanceState, { kind: K; id: string; timers: Timers }>();
  /** Registered kinds; the batch runner and recovery read these very objects, so a later `register` reaches them. */
  private readonly definitions: Record<string, AnyMachineDefinition> = {};
  private readonly kindNames: string[] = [];
  private started = false;

  constructor(options: MachineRuntimeOptions<K>) {
    this.logger = options.logger ?? consoleLogger;
    this.maxAttempts = options.maxAttempts ?? 100;
    this.shards = options.shards ?? 1;
    this.store = new MachineStore(
      options.redis,
      options.prefix,
      options.historyMaxLen ?? 10_000,
      this.shards,
    );
    this.touches = new TimerTouches(options.redis, options.prefix, this.shards);
    this.delayed = new DelayedEvents({
      client: options.redis,
      ...options.queue,
      prefix: options.queue.prefix ?? bullPrefixOf(options.prefix, options.queue.name ?? DEFAULT_QUEUE_NAME),
      logger: this.logger,
    });
    this.runner = new BatchRunner<K>({
      store: this.store,
      delayed: this.delayed,
      definitions: this.definitions as Record<K, AnyMachineDefinition>,
      onTransition: options.onTransition,
      onFinal: options.onFinal,
      finishedTtlMs: options.finishedTtlMs ?? 3_600_000,
      logger: this.logger,
    });
    this.recovery = new OutboxRecovery<K>({
      store: this.store,
      runner: this.runner,
      kinds: this.kindNames,
      get: (kind, id) => this.get(kind, id),
      recoverAfterMs: options.recoverAfterMs ?? 30_000,
      retryFailedMs: options.retryFailedMs ?? 500,
      logger: this.logger,
    });
    for (const definition of options.definitions ?? []) this.register(definition);
  }

  register(definition: AnyMachineDefinition): void {
    assertKind(definition.kind);
    if (this.definitions[definition.kind])
      throw new Error(`machine kind '${definition.kind}' is already registered`);
    // The worker and recovery would meet instances of a kind they cannot run.
    if (this.started) throw new Error(`register '${definition.kind}' before startWorker()`);
    this.definitions[definition.kind] = definition;
    this.kindNames.push(definition.kind);
  }

  of<M extends AnyStateMachine, V>(kind: MachineKind<M, V>): MachineHandle<M, V> {
    assertKind(kind.name);
    return handleOf(this, kind);
  }

  kinds(): string[] {
    return [...this.kindNames];
  }

  restore(kind: K, persisted: unknown): AnyMachineSnapshot {
    return decodeSnapshot(this.definition(kind).machine, JSON.stringify(persisted));
  }

  recentHistory(kind: K, id: string): Promise<RecentHistory> {
    assertId(id);
    return this.store.recentHistory(kind, id);
  }

  private definition(kind: K): AnyMachineDefinition {
    const definition = this.definitions[kind];
    if (!definition) throw new Error(`unknown machine kind '${kind}'`);
    return definition;
  }

  private state(kind: K, snapshot: AnyMachineSnapshot, version: number, updatedAt: number): InstanceState {
    return { snapshot, view: this.definition(kind).view(snapshot), version, updatedAt };
  }

  async create(kind: K, id: string, input?: unknown, options: SendOptions & { at?: number } = {}) {
    assertId(id);
    const { machine } = this.definition(kind);
    const at = options.at ?? Date.now();
    const [snapshot, actions] = initialTransition(machine, input);
    if (snapshot.status === 'error')
      throw new Error(`${kind} ${id}: the initial state is an error`, { cause: snapshot.error });
    const event: RuntimeEvent = { type: 'xstate.init', at };
    const saved = await this.commit(kind, id, {
      expectedVersion: 0,
      timers: {},
      event,
      from: null,
      snapshot,
      actions,
      actor: options.actor ?? 'system',
    });
    if (!saved) throw conflict(`${kind} ${id} already exists`);
    return saved.state;
  }

  async send(kind: K, id: string, event: RuntimeEvent, options: SendOptions = {}): Promise<SendResult> {
    // `xstate.*` events (timeouts) come only from the runtime's own timers, never from outside.
    if (event.type.startsWith('xstate.')) throw badRequest(`event type ${event.type} is reserved`, 'type');
    return this.apply(kind, id, event, options.actor ?? 'system', null, options.basis);
  }

  /**
   * Delivers a fired delayed job: applied only while its timer is armed with this very job id.
   * The small result becomes the job's return value.
   */
  private async fire(data: DelayedEventData, jobId: string): Promise<FireResult> {
    try {
      if (data.delayMs !== undefined) {
        const touchedAt = await this.touches.touchedAt(data.kind, data.id, data.sendId);
        const dueAt = touchedAt === null ? null : touchedAt + data.delayMs;
        if (dueAt !== null && touchedAt !== null && dueAt > (data.event.at ?? 0)) {
          // Touched since this job was scheduled: come back when the touch runs out.
          await this.delayed.schedule(
            deferredJobId(jobId, touchedAt),
            { ...data, event: { ...data.event, at: dueAt }, armedAs: data.armedAs ?? jobId },
            dueAt,
          );
          return { applied: false, reason: 'deferred', version: null };
        }
      }
      const result = await this.apply(data.kind as K, data.id, data.event, 'timer', {
        sendId: data.sendId,
        jobId: data.armedAs ?? jobId,
      });
      return { applied: result.applied, reason: result.reason ?? null, version: result.version };
    } catch (err) {
      // The instance finished and expired: nothing left to wake up.
      if (err instanceof AppError && err.kind === 'not_found')
        return { applied: false, reason: 'gone', version: null };
      throw err;
    }
  }

  private async apply(
    kind: K,
    id: string,
    rawEvent: RuntimeEvent,
    actor: string,
    timer: TimerGuard | null,
    basis?: InstanceState,
  ): Promise<SendResult> {
    assertId(id);
    const { machine } = this.definition(kind);
    const event: RuntimeEvent = {
      ...rawEvent,
      at: typeof rawEvent.at === 'number' ? rawEvent.at : Date.now(),
    };
    const basisRead = basis ? this.readStates.get(basis) : undefined;
    const usable =
      basis && basisRead?.kind === kind && basisRead.id === id
        ? { ...basis, timers: basisRead.timers }
        : null;
    for (let attempt = 1; attempt <= this.maxAttempts; attempt++) {
      const stored = attempt === 1 && usable ? usable : await this.read(kind, id);
      if (!stored) throw notFound(`${kind} ${id} not found`);
      const snapshot = stored.snapshot;
      const current = (reason: SendResult['reason']): SendResult => ({
        ...this.state(kind, snapshot, stored.version, stored.updatedAt),
        applied: false,
        reason,
        effectsPending: false,
      });
      const timers: Timers = { ...stored.timers };
      if (timer) {
        if (timers[timer.sendId] !== timer.jobId) return current('stale-timer');
        delete timers[timer.sendId];
      }
      // The pure transition() ignores status: a done snapshot would still take root-level events.
      if (snapshot.status !== 'active' || !snapshot.can(event)) return current('not-accepted');
      const [next, actions] = pureTransition(machine, snapshot, event);
      if (next.status === 'error') throw new Error(`${kind} ${id}: ${event.type} put the machine in error`);
      const saved = await this.commit(kind, id, {
        expectedVersion: stored.version,
        timers,
        event,
        from: snapshot.value,
        snapshot: next,
        actions,
        actor,
      });
      if (saved) return { ...saved.state, applied: true, effectsPending: !saved.effectsDone };
      // Lost the race: back off a little (growing, with jitter) and recompute from the newer snapshot.
      this.logger.debug({ kind, id, attempt, version: stored.version }, 'machine version conflict, retrying');
      await sleep(Math.random() * Math.min(2 * attempt, 50));
    }
    throw unavailable(`${kind} ${id} is too contended, try again`);
  }

  /** Saves one transition (null: version conflict / already exists), then runs its effects. */
  private async commit(
    kind: K,
    id: string,
    t: {
      expectedVersion: number;
      timers: Timers;
      event: RuntimeEvent;
      from: AnyMachineSnapshot['value'] | null;
      snapshot: AnyMachineSnapshot;
      actions: readonly ActionLike[];
      actor: string;
    },
  ): Promise<{ state: InstanceState; effectsDone: boolean } | null> {
    const { machine } = this.definition(kind);
    const version = t.expectedVersion + 1;
    const at = t.event.at ?? Date.now();
    const final = t.snapshot.status === 'done';
    const plan = planEffects({
      kind,
      id,
      version,
      at,
      actions: t.actions,
      timers: t.timers,
      final,
      oneShotTimers: this.definition(kind).oneShotTimers,
    });
    for (const type of plan.ignored)
      this.runner.warnOnce(`${kind}:${type}`, { kind, type }, 'ignored xstate action');
    const now = Date.now();
    const batch: OutboxBatch = {
      version,
      savedAt: now,
      event: t.event,
      from: t.from,
      to: t.snapshot.value,
      actor: t.actor,
      final,
      effects: plan.effects,
    };
    const needsOutbox = final || plan.effects.length > 0;
    const outcome = await this.store.save(kind, id, {
      expectedVersion: t.expectedVersion,
      snapshotJson: encodeSnapshot(machine, t.snapshot),
      timers: plan.timers,
      record: { version, event: t.event, from: t.from, to: t.snapshot.value, actor: t.actor, at },
      batch: needsOutbox ? batch : null,
      now,
    });
    if (outcome === 'missing') throw notFound(`${kind} ${id} not found`);
    if (outcome === 'conflict') return null;

    const state = this.state(kind, t.snapshot, version, now);
    if (!needsOutbox) {
      await this.runner.notifyPlain(kind, id, batch, state);
      return { state, effectsDone: true };
    }
    const effectsDone = await this.runner.complete(kind, id, batch, state, false);
    if (!effectsDone) this.recovery.retrySoon(kind, id, batch);
    return { state, effectsDone };
  }

  async get(kind: K, id: string): Promise<InstanceState | null> {
    assertId(id);
    const stored = await this.read(kind, id);
    if (!stored) return null;
    const state = this.state(kind, stored.snapshot, stored.version, stored.updatedAt);
    this.readStates.set(state, { kind, id, timers: stored.timers });
    return state;
  }

  async exists(kind: K, id: string): Promise<boolean> {
    assertId(id);
    return (await this.store.currentVersion(kind, id)) !== null;
  }

  /** The instance as stored, its snapshot decoded; null when there is none. */
  private async read(kind: K, id: string) {
    const stored = await this.store.load(kind, id);
    if (!stored) return null;
    const snapshot = decodeSnapshot(this.definition(kind).machine, stored.snapshotJson);
    return { snapshot, version: stored.version, timers: stored.timers, updatedAt: stored.updatedAt };
  }

  history(kind: K, id: string): Promise<TransitionRecord[]> {
    assertId(id);
    return this.store.history(kind, id);
  }

  listActive(kind: K, options: { limit?: number } = {}): Promise<string[]> {
    return this.store.listActive(kind, options.limit ?? 1000);
  }

  async timers(kind: K, id: string): Promise<ArmedTimer[]> {
    assertId(id);
    const stored = await this.store.load(kind, id);
    if (!stored) return [];
    return Promise.all(
      Object.entries(stored.timers).map(async ([sendId, jobId]) => {
        const job = await this.delayed.describe(jobId);
        return {
          sendId,
          jobId,
          state: job?.state ?? 'missing',
          dueAt: job?.dueAt ?? null,
          attempts: job?.attempts ?? 0,
        };
      }),
    );
  }

  touchTimer(
    kind: K,
    id: string,
    sendId: string,
    options: { at?: number; require?: { attribute: string; value: string } } = {},
  ): Promise<TouchOutcome> {
    assertId(id);
    return this.touches.touch(kind, id, sendId, options.at ?? Date.now(), options.require);
  }

  setAttribute(kind: K, id: string, name: string, value: string): Promise<boolean> {
    assertId(id);
    return this.touches.setAttribute(kind, id, name, value);
  }

  recoverPending(options?: RecoveryOptions): Promise<RecoveryReport> {
    return this.recovery.run(options);
  }

  startWorker(options: { recoverEveryMs?: number } = {}): void {
    this.started = true;
    this.delayed.start((data, jobId) => this.fire(data, jobId));
    if (options.recoverEveryMs) this.recovery.startLoop(options.recoverEveryMs);
  }

  async close(): Promise<void> {
    await this.recovery.stop();
    await this.delayed.close();
  }
}
