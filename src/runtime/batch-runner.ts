/**
 * Runs one outbox batch after its transition was saved: the effects in order (consecutive timers
 * together), then `onTransition` (alongside the effects when they are all timers), then, for a
 * final state, `onFinal` and the expiry; only then is the batch deleted. A batch that throws
 * part-way stays in the outbox and `recoverPending` runs it again from the start.
 *
 * Why re-running is safe: every effect is idempotent. Delayed jobs have deterministic ids (BullMQ
 * ignores a second add of a live id, and a fired timer is disarmed so a re-added job is not
 * applied), removing a job twice is a no-op, and named effects get params and an idempotency key
 * that are identical on every run, from which ledger keys are derived (`call:<id>:minute:<n>`).
 * `onTransition` may push the same view twice and `onFinal` may archive twice (use an upsert).
 *
 * Notices follow the effects, so when an effect sends the instance's next event itself, the next
 * transition's notice goes out first; the late one is flagged `superseded` (checked against the
 * stored version just before the call, for batches with named effects or recovered ones), and the
 * host should not push its view to clients.
 */
import type { UpdateNotice } from '../../machines/notices.js';
import type { DelayedEvents } from './delayed-events.js';
import type { MachineStore, OutboxBatch } from './machine-store.js';
import type {
  AnyMachineDefinition,
  EffectContext,
  FinalRecord,
  InstanceState,
  RuntimeLogger,
  TransitionNotice,
} from './types.js';

export interface BatchRunnerDeps<K extends string> {
  store: MachineStore;
  delayed: DelayedEvents;
  definitions: Readonly<Record<K, AnyMachineDefinition>>;
  onTransition?: (notice: TransitionNotice<K>) => Promise<void> | void;
  onFinal?: (record: FinalRecord<K>) => Promise<void> | void;
  finishedTtlMs: number;
  logger: RuntimeLogger;
}

export class BatchRunner<K extends string> {
  private readonly warned = new Set<string>();

  constructor(private readonly deps: BatchRunnerDeps<K>) {}

  /**
   * `current` is the instance as it is now (null when gone): `onTransition` is only called when the
   * batch is still the latest transition, or always on the live path. Returns true when the batch is done.
   */
  async complete(
    kind: K,
    id: string,
    batch: OutboxBatch,
    current: InstanceState | null,
    recovered: boolean,
  ): Promise<boolean> {
    const { store, logger } = this.deps;
    const notifies = current !== null && (!recovered || current.version === batch.version);
    const notice = () => this.notify({ kind, id, batch, current, recovered });
    // Timers never send the instance an event of their own, so a batch of nothing but timers need
    // not hold its notice back: the parties hear of a rung call without waiting for its timeout job.
    const early = notifies && batch.effects.every((effect) => effect.type !== 'effect') ? notice() : null;
    try {
      await this.runEffects(kind, id, batch, recovered, current);
    } catch (err) {
      await early;
      logger.error(
        { err, kind, id, version: batch.version, recovered },
        'machine effect failed; left for recovery',
      );
      return false;
    }
    if (early) await early;
    else if (notifies) await notice();
    if (!batch.final) {
      await store.clearBatch(kind, id, batch.version);
      return true;
    }
    try {
      if (current && this.deps.onFinal && !(await store.isFinalized(kind, id))) {
        await this.deps.onFinal({
          kind,
          id,
          version: current.version,
          snapshot: current.snapshot,
          view: current.view,
          history: await store.history(kind, id),
        });
      }
    } catch (err) {
      logger.error({ err, kind, id, version: batch.version }, 'onFinal failed; left for recovery');
      return false;
    }
    await store.finalize(kind, id, batch.version, this.deps.finishedTtlMs, Date.now());
    return true;
  }

  /** Pushes a transition that has no outbox batch (no effects, not final). */
  async notifyPlain(kind: K, id: string, batch: OutboxBatch, current: InstanceState): Promise<void> {
    await this.notify({ kind, id, batch, current, recovered: false });
  }

  private async runEffects(
    kind: K,
    id: string,
    batch: OutboxBatch,
    recovered: boolean,
    current: InstanceState | null,
  ): Promise<void> {
    const { delayed, logger } = this.deps;
    const handlers = this.deps.definitions[kind].effects;
    // Consecutive timers are independent of each other (different job ids), so they go out together.
    let timers: Promise<unknown>[] = [];
    for (const [index, effect] of batch.effects.entries()) {
      if (effect.type === 'schedule') {
        timers.push(
          delayed.schedule(
            effect.jobId,
            {
              kind,
              id,
              sendId: effect.sendId,
              event: effect.event,
              ...(effect.delayMs === undefined ? {} : { delayMs: effect.delayMs }),
            },
            effect.dueAt,
          ),
        );
        continue;
      }
      if (effect.type === 'unschedule') {
        timers.push(delayed.unschedule(effect.jobId));
        continue;
      }
      await Promise.all(timers);
      timers = [];
      const handler = handlers[effect.name];
      if (!handler) {
        this.warnOnce(
          `${kind}:${effect.name}`,
          { kind, action: effect.name },
          'machine action has no effect handler',
        );
        continue;
      }
      const ctx: EffectContext = {
        kind,
        id,
        type: effect.name,
        params: effect.params,
        event: batch.event,
        version: batch.version,
        idempotencyKey: `${kind}:${id}:v${batch.version}:${index}`,
        recovered,
        snapshot: current?.snapshot ?? null,
        logger,
      };
      await handler(ctx);
    }
    await Promise.all(timers);
  }

  private async notify(args: {
    kind: K;
    id: string;
    batch: OutboxBatch;
    current: InstanceState | null;
    recovered: boolean;
  }): Promise<void> {
    const { onTransition, logger, store } = this.deps;
    if (!onTransition) return;
    const { kind, id, batch, current, recovered } = args;
    const view = current?.view;
    try {
      // Only an effect can send the instance its next event before this notice goes out (and a
      // recovered batch may be long overtaken); a batch of nothing but timers is announced right
      // after its save, so the read that would catch a newer version is spared.
      const mayBeOvertaken = recovered || batch.effects.some((effect) => effect.type === 'effect');
      const latest = mayBeOvertaken ? await store.currentVersion(kind, id) : null;
      const superseded = latest !== null && latest > batch.version;
      await onTransition({
        kind,
        id,
        version: batch.version,
        event: batch.event,
        from: batch.from,
        to: batch.to,
        actor: batch.actor,
        at: batch.event.at ?? batch.savedAt,
        view,
        final: batch.final,
        recovered,
        superseded,
        updates: this.updatesOf(kind, batch, current, superseded),
      });
    } catch (err) {
      logger.error({ err, kind, id, version: batch.version }, 'onTransition failed');
    }
  }

  /** The definition's updates for this transition (none without a definition's `updates` or a snapshot). */
  private updatesOf(
    kind: K,
    batch: OutboxBatch,
    current: InstanceState | null,
    superseded: boolean,
  ): readonly UpdateNotice[] {
    const updates = this.deps.definitions[kind].updates;
    if (!updates || !current) return [];
    const all = updates({
      event: batch.event,
      snapshot: current.snapshot,
      view: current.view,
      version: batch.version,
      created: batch.from === null,
      final: batch.final,
    });
    return superseded ? all.filter((update) => !('latest' in update && update.latest)) : all;
  }

  warnOnce(key: string, obj: object, msg: string): void {
    if (this.warned.has(key)) return;
    this.warned.add(key);
    this.deps.logger.warn(obj, msg);
  }
}
