/**
 * Redis key layout of the runtime. Per-instance keys carry the hash tag `{kind:id}` so one
 * instance's keys share a Redis Cluster slot.
 *
 *   <prefix>m:{kind:id}   hash    version, snapshot, timers, createdAt, updatedAt, pending, ob:<version>…, finalizedAt
 *   <prefix>h:{kind:id}   stream  history: v, type, event, from, to, actor, at (capped, MAXLEN ~)
 *   <prefix>active:<kind> zset    id → updatedAt, for every instance not yet finalized
 *   <prefix>outbox        zset    "kind:id" → time, for every instance with pending effect batches
 *
 * BullMQ lives under its own prefix (`<prefix without trailing ':'>:machine-events:*`).
 */
import { badRequest } from '../errors.js';

const KIND = /^[a-z][a-z0-9_]*$/;
const ID = /^[A-Za-z0-9_.-]{1,128}$/;

export function assertKind(kind: string): void {
  if (!KIND.test(kind)) throw new Error(`machine kind must match ${KIND}: ${JSON.stringify(kind)}`);
}

/** Ids end up in key hash tags and BullMQ job ids, so `{`, `}` and `:` are refused. */
export function assertId(id: string): void {
  if (!ID.test(id)) throw badRequest(`machine instance id must match ${ID}`, 'id');
}

export interface InstanceKeys {
  machine: string;
  history: string;
  active: string;
  outbox: string;
  /** Member of the outbox index. */
  member: string;
}

export function instanceKeys(prefix: string, kind: string, id: string): InstanceKeys {
  return {
    machine: `${prefix}m:{${kind}:${id}}`,
    history: `${prefix}h:{${kind}:${id}}`,
    active: activeKey(prefix, kind),
    outbox: outboxKey(prefix),
    member: `${kind}:${id}`,
  };
}

export const activeKey = (prefix: string, kind: string): string => `${prefix}active:${kind}`;
export const outboxKey = (prefix: string): string => `${prefix}outbox`;

export function parseMember(member: string): { kind: string; id: string } | null {
  const at = member.indexOf(':');
  if (at <= 0) return null;
  return { kind: member.slice(0, at), id: member.slice(at + 1) };
}

/** BullMQ job ids may not contain `:` (and must not look like integers; ours start with the kind). */
export const sanitizeJobIdPart = (part: string): string => part.replace(/[^A-Za-z0-9_.-]/g, '_');

/**
 * Deterministic id of the delayed job for raise `sendId` scheduled by the transition that wrote
 * `version`, e.g. `call-42-minute-3-v7`. The version is part of it because raise ids repeat:
 * xstate's own `after` ids (`xstate.after.ringTimeout.call.ringing`) and ids like `grace-<user>`
 * come back every time a state is re-entered, and BullMQ silently drops an add whose id still
 * exists (say the old job is the active one whose event re-entered the state). Re-running the
 * same outbox entry produces the same id, so BullMQ dedupes the re-run. A machine may declare
 * raise ids that name one step and never repeat (`oneShot`, e.g. billing's `minute-3`): those keep
 * the plain id `call-42-minute-3`, so the job of minute 3 is one job whichever transition scheduled it.
 */
export const delayedJobId = (
  kind: string,
  id: string,
  sendId: string,
  version: number,
  oneShot = false,
): string => `${kind}-${sanitizeJobIdPart(id)}-${sanitizeJobIdPart(sendId)}${oneShot ? '' : `-v${version}`}`;

/** BullMQ joins its prefix and the queue name with ':'; strip ours so keys read `co:machine-events:…`. */
export const bullPrefixOf = (prefix: string): string => prefix.replace(/:+$/, '') || 'bull';
