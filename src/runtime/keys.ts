/**
 * Redis key layout of the runtime. The instances of one kind are spread over `shards` groups (one on
 * a single Redis, CLUSTER_SHARDS on a Redis Cluster); every key of a group carries the group's hash
 * tag `{kind#shard}`, so a save (instance hash, history, active index, outbox index) is one
 * single-slot script, and the groups spread over the cluster's masters. Whoever scans an index
 * scans every group.
 *
 *   <prefix>m:{kind#s}:id   hash    version, snapshot, timers, createdAt, updatedAt, pending, ob:<version>…, finalizedAt
 *   <prefix>h:{kind#s}:id   stream  history: v, type, event, from, to, actor, at (capped, MAXLEN ~)
 *   <prefix>active:{kind#s} zset    id → updatedAt, for every instance of the group not yet finalized
 *   <prefix>outbox:{kind#s} zset    "kind:id" → time, for every instance of the group with pending effect batches
 *
 * BullMQ queues live under `<prefix>{<queue name>}:<queue name>:*` (bullPrefixOf): the braces
 * keep each queue in one slot, as BullMQ's scripts need on a cluster.
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

/** Index groups per kind on a Redis Cluster: enough to spread over a few masters, few enough to scan. */
export const CLUSTER_SHARDS = 16;

export interface InstanceKeys {
  machine: string;
  history: string;
  active: string;
  outbox: string;
  /** Member of the outbox index. */
  member: string;
}

/** FNV-1a of the id: stable across processes and versions, cheap, well spread. */
export function shardOf(id: string, shards: number): number {
  if (shards <= 1) return 0;
  let hash = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) {
    hash ^= id.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % shards;
}

const groupTag = (kind: string, shard: number): string => `{${kind}#${shard}}`;

export function instanceKeys(prefix: string, kind: string, id: string, shards = 1): InstanceKeys {
  const shard = shardOf(id, shards);
  const tag = groupTag(kind, shard);
  return {
    machine: `${prefix}m:${tag}:${id}`,
    history: `${prefix}h:${tag}:${id}`,
    active: activeKey(prefix, kind, shard),
    outbox: outboxKey(prefix, kind, shard),
    member: `${kind}:${id}`,
  };
}

export const activeKey = (prefix: string, kind: string, shard: number): string =>
  `${prefix}active:${groupTag(kind, shard)}`;
export const outboxKey = (prefix: string, kind: string, shard: number): string =>
  `${prefix}outbox:${groupTag(kind, shard)}`;

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

/**
 * BullMQ prefix of one queue: the queue name in braces is its hash tag, so all of a queue's keys
 * share a slot (BullMQ's scripts touch several at once) and different queues spread over a
 * cluster. BullMQ joins prefix and queue name with ':', so keys read `co:{machine-events}:machine-events:…`.
 */
export const bullPrefixOf = (prefix: string, queueName: string): string => `${prefix}{${queueName}}`;
