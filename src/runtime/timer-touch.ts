/**
 * Sliding timers: a cheap way to push an armed delayed event back without a transition. A touch
 * records "still alive at `at`" in the instance's hash (`t:<sendId>`), in one Lua call that also
 * checks the timer is armed and, optionally, that an attribute of the instance (`a:<name>`, side
 * data set with `setAttribute`, e.g. a credential) has a given value. No snapshot is read or
 * written and no job is moved, so a heartbeat costs one Redis round trip.
 *
 * When the timer's job fires, the runtime reads the touch: if `touch + delay` is later than the
 * job's due time, it adds a deferred job due then (id `<job>-t<touch>`, deterministic, so a job
 * delivered twice defers once) instead of applying the event. The deferred job carries the job id
 * the timer is armed with (`armedAs`), so it applies only while that very timer is still armed:
 * a transition that re-arms or cancels the timer makes every deferred job of the old one stale,
 * exactly as it does the old job itself. Transitions never see touches, so nothing else changes.
 *
 * A touch that lands after the job read the touches (the deadline has already passed) is lost:
 * the caller was answered but was, by then, silent for the whole delay.
 */
import type { RedisClient } from '../redis/connection.js';
import { LuaScript } from '../redis/lua-script.js';
import { instanceKeys } from './keys.js';

/**
 * KEYS: machine hash. ARGV: 1 sendId, 2 at, 3 attribute field ('' = none), 4 its expected value.
 * Returns 1 touched, 0 timer not armed, -1 no such (or a finished) instance, -2 attribute mismatch.
 */
const touchScript = new LuaScript(
  'machine-touch-timer',
  `
local timers = redis.call('HGET', KEYS[1], 'timers')
if not timers or redis.call('HEXISTS', KEYS[1], 'finalizedAt') == 1 then return -1 end
local armed = cjson.decode(timers)
if type(armed) ~= 'table' or armed[ARGV[1]] == nil then return 0 end
if ARGV[3] ~= '' and redis.call('HGET', KEYS[1], ARGV[3]) ~= ARGV[4] then return -2 end
redis.call('HSET', KEYS[1], 't:' .. ARGV[1], ARGV[2])
return 1
`,
  1,
);

/** KEYS: machine hash. ARGV: 1 field, 2 value. Sets it only on an existing instance; returns 1 if set. */
const setAttributeScript = new LuaScript(
  'machine-set-attribute',
  `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 1
`,
  1,
);

export type TouchOutcome = 'touched' | 'not-armed' | 'missing' | 'mismatch';

const attributeField = (name: string) => `a:${name}`;

export class TimerTouches {
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
    /** The runtime's index groups: part of every key (keys.ts). */
    private readonly shards = 1,
  ) {}

  async touch(
    kind: string,
    id: string,
    sendId: string,
    at: number,
    require?: { attribute: string; value: string },
  ): Promise<TouchOutcome> {
    const { machine } = instanceKeys(this.prefix, kind, id, this.shards);
    const result = await touchScript.run(
      this.redis,
      [machine],
      [sendId, String(at), require ? attributeField(require.attribute) : '', require?.value ?? ''],
    );
    if (result === 1) return 'touched';
    if (result === 0) return 'not-armed';
    if (result === -2) return 'mismatch';
    return 'missing';
  }

  async setAttribute(kind: string, id: string, name: string, value: string): Promise<boolean> {
    const { machine } = instanceKeys(this.prefix, kind, id, this.shards);
    return (await setAttributeScript.run(this.redis, [machine], [attributeField(name), value])) === 1;
  }

  async touchedAt(kind: string, id: string, sendId: string): Promise<number | null> {
    const value = await this.redis.hget(
      instanceKeys(this.prefix, kind, id, this.shards).machine,
      `t:${sendId}`,
    );
    return value === null ? null : Number(value);
  }
}

/** `<job>-t<touch>`: one deferred job per (timer job, touch), however often the job is delivered. */
export const deferredJobId = (jobId: string, touchedAt: number): string =>
  `${jobId.replace(/-t\d+$/, '')}-t${touchedAt}`;
