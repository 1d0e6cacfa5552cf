/**
 * How the panel names things for an operator: events in words instead of xstate's internal
 * names (`xstate.after.ringTimeout.call.ringing` → "ring timeout"), and timestamps in context
 * objects as local times instead of epoch milliseconds.
 */
import { formatTime } from './dom.js';

const EVENT_NAMES = {
  'xstate.init': 'created',
  ACCEPT: 'accepted',
  REFUSE: 'refused',
  START: 'started',
  HANGUP: 'hung up',
  SERVER_HANGUP: 'hung up by the server',
  BAN: 'ban',
  TICK: 'billing tick',
  CHARGE_FAILED: 'charge failed',
  DISCONNECTED: 'disconnected',
  RECONNECTED: 'reconnected',
  GRACE_EXPIRED: 'grace period over',
  SETTLED: 'settled',
  ENTER: 'entered',
  LEAVE: 'left',
  APPLY: 'applied for the mic',
  ACCEPT_SEAT: 'took a seat',
  REFUSE_SEAT: 'seat refused',
  LEAVE_SEAT: 'left the mic',
  END: 'ended by the host',
  ADMIN_END: 'ended by an admin',
};

const words = (name) =>
  name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/[_.]+/g, ' ')
    .trim()
    .toLowerCase();

/** A friendly name for an event type; the raw type stays available as a tooltip. */
export function eventLabel(type) {
  if (EVENT_NAMES[type]) return EVENT_NAMES[type];
  // xstate's delayed transitions: `xstate.after.<delay>.<machine>.<state>`.
  const after = type.match(/^xstate\.after\.([^.]+)\./);
  if (after) return `${words(after[1])} (timer)`;
  return words(type);
}

/** The event's payload in words: `minute 3`, `user 12`, `by 7`. */
export function eventDetails(event) {
  const { type: _type, at: _at, ...payload } = event ?? {};
  return Object.entries(payload).map(
    ([key, value]) => `${words(key)} ${typeof value === 'object' ? JSON.stringify(value) : String(value)}`,
  );
}

/** Epoch ms fields (`at`, `...At`) between 2001 and 2286: shown as local times. */
const isTimestampKey = (key) => key === 'at' || /At$/.test(key);
const isEpochMs = (value) => typeof value === 'number' && value > 1e12 && value < 1e13;

/** One field's value for reading: a timestamp field (`…At`, `at`) as a local time. */
export function readableField(path, value) {
  const key = path.split('.').pop() ?? '';
  return isTimestampKey(key) && isEpochMs(value) ? formatTime(value) : readable(value);
}

/** A copy of `value` with its timestamps written as local times (for reading, not for sending back). */
export function readable(value) {
  if (Array.isArray(value)) return value.map(readable);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([key, inner]) => [
        key,
        isTimestampKey(key) && isEpochMs(inner) ? formatTime(inner) : readable(inner),
      ]),
    );
  }
  return value;
}

/** A timer's raise id in words: `minute-3` → "billing minute 3", `grace-12` → "grace period of user 12". */
export function timerLabel(sendId) {
  const minute = sendId.match(/^minute-(\d+)$/);
  if (minute) return `billing minute ${minute[1]}`;
  const grace = sendId.match(/^grace-(\w+)$/);
  if (grace)
    return Number.isNaN(Number(grace[1])) ? `grace period (${grace[1]})` : `grace period of user ${grace[1]}`;
  const after = sendId.match(/^xstate\.after\.([^.]+)\./);
  if (after) return `${words(after[1])}`;
  return words(sendId);
}
