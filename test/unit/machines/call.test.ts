/**
 * Unit tests of the pure call machine, driven only through xstate's pure functions, as the host
 * drives it.
 *
 * What the host can rely on (xstate 5.33, each point pinned by a test below):
 *
 * - Create:  `const [snapshot, actions] = initialTransition(callMachine, input)`.
 * - Step:    `const [next, actions] = transition(callMachine, snapshot, event)`.
 *   An event that does not apply returns the very same snapshot object and `[]`
 *   (`snapshot.can(event)` is false for it), so `next === snapshot` means "nothing to save".
 * - Actions: run each `{ type, params }` in order; ignore `info` and `exec` (they hold the inert
 *   actor scope of the pure call, not something to execute).
 *     `chargeMinute`   params `{ minute }`
 *     `settleCall`     params `{ callId }`
 *     `xstate.raise`   params `{ event, id, delay }` — `delay` is always a number here: a delayed
 *                      job that sends `event` back (stamp `at` with the time it fires) after
 *                      `delay` ms; the job id derives from `id`.
 *     `xstate.cancel`  params `{ sendId }` — remove the delayed job made from that id.
 * - Persist: `const json = JSON.stringify(callMachine.getPersistedSnapshot(snapshot))`.
 * - Restore: `const snapshot = callMachine.resolveState(JSON.parse(json))`; it then transitions
 *   exactly like the snapshot it was saved from. (`machine.restoreSnapshot` wants an actor scope;
 *   `resolveState` is the pure route and recomputes `status`, e.g. 'done' for `settled`.)
 */
import { adjacencyMapToArray, getAdjacencyMap, getShortestPaths, getSimplePaths } from '@xstate/graph';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { initialTransition, transition } from 'xstate';
import {
  type CallContext,
  type CallEndReason,
  type CallEvent,
  type CallInput,
  type CallSnapshot,
  type CallState,
  callMachine,
  callUpdates,
  callView,
  partyOf,
} from '../../../machines/call.js';

const GUEST = 101;
const ANCHOR = 202;
const STRANGER = 303;
const CREATED_AT = 1_000_000;

const baseInput: Omit<CallInput, 'initiator'> = {
  callId: 'c-42',
  guestId: GUEST,
  anchorId: ANCHOR,
  unitPricePoints: 30,
  unitPriceDiamonds: 60,
  ringTimeoutMs: 30_000,
  billingIntervalMs: 60_000,
  disconnectGraceMs: 15_000,
  at: CREATED_AT,
};

const inputFor = (initiator: CallInput['initiator']): CallInput => ({ ...baseInput, initiator });

// xstate's own events for `after` in `ringing` / `accepted`; the host sends them back as they were
// raised. They are not in CallEvent, hence the casts.
const RING_TIMEOUT_IN_RINGING = { type: 'xstate.after.ringTimeout.call.ringing' } as unknown as CallEvent;
const RING_TIMEOUT_IN_ACCEPTED = { type: 'xstate.after.ringTimeout.call.accepted' } as unknown as CallEvent;

type Effect = { type: string; params: unknown };
const effects = (actions: readonly Effect[]): Effect[] =>
  actions.map(({ type, params }) => ({ type, params }));

function create(initiator: CallInput['initiator']): CallSnapshot {
  return initialTransition(callMachine, inputFor(initiator))[0];
}

function run(snapshot: CallSnapshot, ...events: CallEvent[]): CallSnapshot {
  return events.reduce((s, e) => transition(callMachine, s, e)[0], snapshot);
}

let clock = CREATED_AT;
const at = () => (clock += 1_000);
const accept = (by: number): CallEvent => ({ type: 'ACCEPT', by, at: at() });
const refuse = (by: number): CallEvent => ({ type: 'REFUSE', by, at: at() });
const start = (by: number): CallEvent => ({ type: 'START', by, at: at() });
const hangup = (by: number): CallEvent => ({ type: 'HANGUP', by, at: at() });
const serverHangup = (by = 'server'): CallEvent => ({ type: 'SERVER_HANGUP', by, at: at() });
const ban = (userId: number, banType: 'account' | 'stream' = 'account'): CallEvent => ({
  type: 'BAN',
  userId,
  banType,
  title: 'violation',
  at: at(),
});
const tick = (minute: number): CallEvent => ({ type: 'TICK', minute, at: at() });
const chargeFailed = (minute: number): CallEvent => ({ type: 'CHARGE_FAILED', minute, at: at() });
const disconnected = (party: 'guest' | 'anchor'): CallEvent => ({ type: 'DISCONNECTED', party, at: at() });
const reconnected = (party: 'guest' | 'anchor'): CallEvent => ({ type: 'RECONNECTED', party, at: at() });
const graceExpired = (party: 'guest' | 'anchor'): CallEvent => ({ type: 'GRACE_EXPIRED', party, at: at() });
const settled = (): CallEvent => ({ type: 'SETTLED', at: at() });

/** A guest-initiated call that the anchor has started. */
const liveCall = () => run(create('guest'), accept(ANCHOR), start(ANCHOR));

describe('what transition() returns for each kind of action', () => {
  it('creating a call schedules the ring timeout as a delayed xstate.raise', () => {
    const [snapshot, actions] = initialTransition(callMachine, inputFor('guest'));
    expect(snapshot.value).toBe('ringing');
    expect(effects(actions)).toEqual([
      {
        type: 'xstate.raise',
        params: {
          event: { type: 'xstate.after.ringTimeout.call.ringing' },
          id: 'xstate.after.ringTimeout.call.ringing',
          delay: 30_000,
        },
      },
    ]);
  });

  it('going live cancels the ring timeout, charges minute 1 and schedules TICK 2', () => {
    const [snapshot, actions] = transition(callMachine, create('guest'), {
      type: 'START',
      by: ANCHOR,
      at: 5_000,
    });
    expect(snapshot.value).toBe('live');
    expect(effects(actions)).toEqual([
      { type: 'xstate.cancel', params: { sendId: 'xstate.after.ringTimeout.call.ringing' } },
      { type: 'chargeMinute', params: { minute: 1 } },
      {
        type: 'xstate.raise',
        params: { event: { type: 'TICK', minute: 2, at: 65_000 }, id: 'minute-2', delay: 60_000 },
      },
    ]);
  });

  it('going live with minute 1 already paid by startCall only cancels and schedules: no second charge', () => {
    const [snapshot, actions] = transition(callMachine, create('guest'), {
      type: 'START',
      by: ANCHOR,
      at: 5_000,
      firstMinutePaid: { guestDiamonds: 940 },
    });
    expect(snapshot.value).toBe('live');
    expect(snapshot.context.minutesStarted).toBe(1);
    expect(snapshot.context.lowBalance).toBeUndefined();
    expect(effects(actions).map((action) => action.type)).toEqual(['xstate.cancel', 'xstate.raise']);
  });

  it('ending a live call cancels the next tick and settles the call', () => {
    const [snapshot, actions] = transition(callMachine, liveCall(), hangup(GUEST));
    expect(snapshot.value).toBe('ended');
    expect(effects(actions)).toEqual([
      { type: 'xstate.cancel', params: { sendId: 'minute-2' } },
      { type: 'settleCall', params: { callId: 'c-42' } },
    ]);
  });

  it('every returned action also has info and exec, which the host ignores', () => {
    const [, actions] = transition(callMachine, liveCall(), hangup(GUEST));
    for (const action of actions)
      expect(Object.keys(action).sort()).toEqual(['exec', 'info', 'params', 'type']);
  });
});

describe('the call flow, guest calls anchor', () => {
  it('the anchor accepts, starts, and the guest hangs up', () => {
    const ringing = create('guest');
    const accepted = run(ringing, { type: 'ACCEPT', by: ANCHOR, at: 2_000_000 });
    expect(callView(accepted)).toMatchObject({ state: 'accepted', matchStatus: 1, acceptedAt: 2_000_000 });
    const live = run(accepted, { type: 'START', by: ANCHOR, at: 2_001_000 });
    expect(live.context).toMatchObject({ startedAt: 2_001_000, minutesStarted: 1 });
    const ended = run(live, tick(2), tick(3), { type: 'HANGUP', by: GUEST, at: 2_200_000 });
    expect(ended.context).toMatchObject({
      endReason: 'hangup_guest',
      endedBy: GUEST,
      endedAt: 2_200_000,
      minutesStarted: 3,
    });
    const done = run(ended, settled());
    expect(done.value).toBe('settled');
    expect(done.status).toBe('done');
  });

  it('the anchor may answer and start in one step (START from ringing)', () => {
    const live = run(create('guest'), { type: 'START', by: ANCHOR, at: 7_000 });
    expect(live.value).toBe('live');
    expect(live.context).toMatchObject({ acceptedAt: 7_000, startedAt: 7_000 });
  });

  it('the anchor declines with a hang-up: refused; the guest withdraws: cancelled', () => {
    expect(run(create('guest'), hangup(ANCHOR)).context.endReason).toBe('refused');
    expect(run(create('guest'), refuse(ANCHOR)).context.endReason).toBe('refused');
    expect(run(create('guest'), hangup(GUEST)).context.endReason).toBe('cancelled');
    expect(run(create('guest'), accept(ANCHOR), hangup(GUEST)).context.endReason).toBe('cancelled');
  });

  it('the anchor ends a live call: hangup_anchor, ended by her id', () => {
    const ended = run(liveCall(), hangup(ANCHOR));
    expect(ended.context).toMatchObject({ endReason: 'hangup_anchor', endedBy: ANCHOR });
  });
});

describe('the call flow, anchor calls guest', () => {
  it('the guest agrees, the anchor starts, the anchor hangs up', () => {
    const accepted = run(create('anchor'), accept(GUEST));
    expect(callView(accepted).matchStatus).toBe(1);
    const ended = run(accepted, start(ANCHOR), tick(2), hangup(ANCHOR));
    expect(ended.context).toMatchObject({ endReason: 'hangup_anchor', minutesStarted: 2 });
  });

  it('the anchor cannot start before the guest has agreed', () => {
    const ringing = create('anchor');
    expect(ringing.can(start(ANCHOR))).toBe(false);
    expect(run(ringing, start(ANCHOR))).toBe(ringing);
  });

  it('the guest refuses (reply 2), or the anchor withdraws', () => {
    expect(run(create('anchor'), refuse(GUEST)).context).toMatchObject({
      endReason: 'refused',
      endedBy: GUEST,
    });
    expect(run(create('anchor'), accept(GUEST), refuse(GUEST)).context.endReason).toBe('refused');
    expect(run(create('anchor'), hangup(ANCHOR)).context.endReason).toBe('cancelled');
    expect(run(create('anchor'), hangup(GUEST)).context.endReason).toBe('refused');
  });
});

describe('the server ends calls', () => {
  it('an admin hang-up from any open state: hangup_server, ended by the admin', () => {
    for (const snapshot of [create('guest'), run(create('guest'), accept(ANCHOR)), liveCall()]) {
      expect(run(snapshot, serverHangup('admin-7')).context).toMatchObject({
        endReason: 'hangup_server',
        endedBy: 'admin-7',
      });
    }
  });

  it('banning a party ends the call and keeps the ban for the settlement screen', () => {
    const ended = run(liveCall(), ban(GUEST, 'stream'));
    expect(ended.context).toMatchObject({
      endReason: 'banned',
      endedBy: 'server',
      ban: { userId: GUEST, type: 'stream', title: 'violation' },
    });
    expect(callView(ended).ban).toEqual({ userId: GUEST, type: 'stream', title: 'violation' });
  });

  it('the guest cannot pay the current minute: insufficient_funds, that minute not counted', () => {
    const ended = run(liveCall(), tick(2), tick(3), chargeFailed(3));
    expect(ended.context).toMatchObject({
      endReason: 'insufficient_funds',
      endedBy: 'server',
      minutesStarted: 2,
    });
  });

  it('a side that stays away past the grace period: disconnect, ended by that side', () => {
    const ended = run(liveCall(), disconnected('anchor'), graceExpired('anchor'));
    expect(ended.context).toMatchObject({ endReason: 'disconnect', endedBy: ANCHOR });
  });
});

describe('delayed events', () => {
  it('the ring timeout in ringing ends the call as missed at the time it was due', () => {
    const [ended, actions] = transition(callMachine, create('guest'), RING_TIMEOUT_IN_RINGING);
    expect(ended.context).toMatchObject({
      endReason: 'missed',
      endedBy: 'server',
      endedAt: CREATED_AT + 30_000,
    });
    expect(effects(actions)).toEqual([
      { type: 'xstate.cancel', params: { sendId: 'xstate.after.ringTimeout.call.ringing' } },
      { type: 'settleCall', params: { callId: 'c-42' } },
    ]);
  });

  it('the ring timeout uses the at the host stamps on it', () => {
    const ended = run(create('guest'), { ...RING_TIMEOUT_IN_RINGING, at: 1_234_567 });
    expect(ended.context.endedAt).toBe(1_234_567);
  });

  it('accepting restarts the ring timeout for the anchor to start', () => {
    const [accepted, actions] = transition(callMachine, create('anchor'), {
      type: 'ACCEPT',
      by: GUEST,
      at: 9_000,
    });
    expect(effects(actions)).toEqual([
      { type: 'xstate.cancel', params: { sendId: 'xstate.after.ringTimeout.call.ringing' } },
      {
        type: 'xstate.raise',
        params: {
          event: { type: 'xstate.after.ringTimeout.call.accepted' },
          id: 'xstate.after.ringTimeout.call.accepted',
          delay: 30_000,
        },
      },
    ]);
    expect(accepted.can(RING_TIMEOUT_IN_RINGING)).toBe(false);
    expect(run(accepted, RING_TIMEOUT_IN_ACCEPTED).context).toMatchObject({
      endReason: 'missed',
      endedAt: 39_000,
    });
  });

  it('each tick charges its minute and schedules the next one', () => {
    const [live, actions] = transition(callMachine, liveCall(), { type: 'TICK', minute: 2, at: 500_000 });
    expect(live.context.minutesStarted).toBe(2);
    expect(effects(actions)).toEqual([
      { type: 'chargeMinute', params: { minute: 2 } },
      {
        type: 'xstate.raise',
        params: { event: { type: 'TICK', minute: 3, at: 560_000 }, id: 'minute-3', delay: 60_000 },
      },
    ]);
  });

  it.each([
    ['a duplicate of the last tick', 2],
    ['a tick for a past minute', 1],
    ['a tick that skips a minute', 4],
  ])('%s is ignored', (_, minute) => {
    const live = run(liveCall(), tick(2));
    expect(live.can(tick(minute))).toBe(false);
    const [next, actions] = transition(callMachine, live, tick(minute));
    expect(next).toBe(live);
    expect(actions).toEqual([]);
  });

  it('a charge failure for any minute but the current one is ignored', () => {
    const live = run(liveCall(), tick(2));
    for (const minute of [0, 1, 3]) expect(live.can(chargeFailed(minute))).toBe(false);
  });

  it('a disconnect schedules its grace period; a reconnect cancels it', () => {
    const [away, scheduled] = transition(callMachine, liveCall(), {
      type: 'DISCONNECTED',
      party: 'guest',
      at: 70_000,
    });
    expect(away.context.disconnected).toEqual({ guest: true, anchor: false });
    expect(effects(scheduled)).toEqual([
      {
        type: 'xstate.raise',
        params: {
          event: { type: 'GRACE_EXPIRED', party: 'guest', at: 85_000 },
          id: 'grace-guest',
          delay: 15_000,
        },
      },
    ]);
    const [back, cancelled] = transition(callMachine, away, reconnected('guest'));
    expect(back.context.disconnected).toEqual({ guest: false, anchor: false });
    expect(effects(cancelled)).toEqual([{ type: 'xstate.cancel', params: { sendId: 'grace-guest' } }]);
    expect(back.can(graceExpired('guest'))).toBe(false);
  });

  it('a repeated disconnect does not restart the grace period', () => {
    const away = run(liveCall(), disconnected('guest'));
    expect(away.can(disconnected('guest'))).toBe(false);
  });

  it('leaving live cancels the next tick and every pending grace period', () => {
    const away = run(liveCall(), tick(2), disconnected('guest'), disconnected('anchor'));
    const [, actions] = transition(callMachine, away, graceExpired('anchor'));
    expect(effects(actions)).toEqual([
      { type: 'xstate.cancel', params: { sendId: 'minute-3' } },
      { type: 'xstate.cancel', params: { sendId: 'grace-guest' } },
      { type: 'xstate.cancel', params: { sendId: 'grace-anchor' } },
      { type: 'settleCall', params: { callId: 'c-42' } },
    ]);
  });

  it('a charge failure cancels the tick after the unpaid minute', () => {
    const [, actions] = transition(callMachine, run(liveCall(), tick(2)), chargeFailed(2));
    expect(effects(actions)).toContainEqual({ type: 'xstate.cancel', params: { sendId: 'minute-3' } });
  });
});

describe('events that do not apply are ignored', () => {
  const ringingG = () => create('guest');
  const ringingA = () => create('anchor');
  const acceptedG = () => run(create('guest'), accept(ANCHOR));
  const acceptedA = () => run(create('anchor'), accept(GUEST));
  const ended = () => run(liveCall(), hangup(GUEST));
  const settledCall = () => run(ended(), settled());

  const table: Array<[string, () => CallSnapshot, CallEvent]> = [
    ['a stranger accepting', ringingG, accept(STRANGER)],
    ['the initiator accepting their own call', ringingG, accept(GUEST)],
    ['the anchor accepting her own call', ringingA, accept(ANCHOR)],
    ['a stranger refusing', ringingG, refuse(STRANGER)],
    ['the initiator refusing', ringingA, refuse(ANCHOR)],
    ['a stranger hanging up a ringing call', ringingG, hangup(STRANGER)],
    ['the guest starting', ringingG, start(GUEST)],
    ['the anchor starting before the guest agreed', ringingA, start(ANCHOR)],
    ['a stranger starting', acceptedG, start(STRANGER)],
    ['the guest starting an accepted call', acceptedA, start(GUEST)],
    ['a second accept', acceptedG, accept(ANCHOR)],
    ['a ban of a stranger', ringingG, ban(STRANGER)],
    ['a tick before the call is live', acceptedG, tick(2)],
    ['a disconnect before the call is live', acceptedA, disconnected('guest')],
    ['a stale ring timeout from ringing', acceptedA, RING_TIMEOUT_IN_RINGING],
    ['SETTLED before the call ended', ringingG, settled()],
    ['a second START', liveCall, start(ANCHOR)],
    ['an accept while live', liveCall, accept(ANCHOR)],
    ['a refuse while live', liveCall, refuse(ANCHOR)],
    ['a stranger hanging up a live call', liveCall, hangup(STRANGER)],
    ['a ban of a stranger while live', liveCall, ban(STRANGER)],
    ['a reconnect of a side that never left', liveCall, reconnected('guest')],
    ['a grace expiry for a side that is connected', liveCall, graceExpired('anchor')],
    ['a ring timeout while live', liveCall, RING_TIMEOUT_IN_ACCEPTED],
    ['SETTLED while live', liveCall, settled()],
    ['a reply to a call that timed out', () => run(ringingA(), RING_TIMEOUT_IN_RINGING), accept(GUEST)],
    ['a hang-up after the end', ended, hangup(ANCHOR)],
    ['a server hang-up after the end', ended, serverHangup()],
    ['a ban after the end', ended, ban(GUEST)],
    ['a tick after the end', ended, tick(3)],
    ['a charge failure after the end', ended, chargeFailed(1)],
    ['a grace expiry after the end', ended, graceExpired('guest')],
    ['a second SETTLED', settledCall, settled()],
    ['a server hang-up of a settled call', settledCall, serverHangup()],
  ];

  it.each(table)('%s', (_, given, event) => {
    const snapshot = given();
    expect(snapshot.can(event)).toBe(false);
    const [next, actions] = transition(callMachine, snapshot, event);
    expect(next).toBe(snapshot);
    expect(actions).toEqual([]);
  });
});

describe('paths explored with @xstate/graph', () => {
  const AT = 5_000_000;
  const sampleEvents: CallEvent[] = [
    ...[GUEST, ANCHOR, STRANGER].flatMap((by): CallEvent[] => [
      { type: 'ACCEPT', by, at: AT },
      { type: 'REFUSE', by, at: AT },
      { type: 'START', by, at: AT },
      { type: 'HANGUP', by, at: AT },
      { type: 'BAN', userId: by, banType: 'account', title: 'violation', at: AT },
    ]),
    { type: 'SERVER_HANGUP', by: 'admin-1', at: AT },
    ...[1, 2, 3].flatMap((minute): CallEvent[] => [
      { type: 'TICK', minute, at: AT },
      { type: 'CHARGE_FAILED', minute, at: AT },
    ]),
    ...(['guest', 'anchor'] as const).flatMap((party): CallEvent[] => [
      { type: 'DISCONNECTED', party, at: AT },
      { type: 'RECONNECTED', party, at: AT },
      { type: 'GRACE_EXPIRED', party, at: AT },
    ]),
    { type: 'SETTLED', at: AT },
    RING_TIMEOUT_IN_RINGING,
    RING_TIMEOUT_IN_ACCEPTED,
  ];

  function describeEvent(context: CallContext, event: CallEvent): string {
    const who = (id: number) => partyOf(context, id) ?? 'stranger';
    switch (event.type) {
      case 'ACCEPT':
      case 'REFUSE':
      case 'START':
      case 'HANGUP':
        return `${event.type} by ${who(event.by)}`;
      case 'BAN':
        return `BAN of ${who(event.userId)}`;
      case 'TICK':
      case 'CHARGE_FAILED':
        return `${event.type} ${event.minute}`;
      case 'DISCONNECTED':
      case 'RECONNECTED':
      case 'GRACE_EXPIRED':
        return `${event.type} ${event.party}`;
      case 'SERVER_HANGUP':
      case 'SETTLED':
        return event.type;
      default:
        return 'ring timeout';
    }
  }

  const where = (s: CallSnapshot) => `${s.value}${s.context.endReason ? ` (${s.context.endReason})` : ''}`;

  // Transitions into `ended` and `settled`, for one direction; `settled` keeps the reason.
  const endings = (from: string, lines: Array<[string, CallEndReason]>) =>
    lines.map(([event, reason]) => `${from} --${event}--> ended (${reason})`);
  const openEndings = (initiator: 'guest' | 'anchor') => {
    const callee = initiator === 'guest' ? 'anchor' : 'guest';
    return (from: 'ringing' | 'accepted') =>
      endings(from, [
        [`HANGUP by ${initiator}`, 'cancelled'],
        [`HANGUP by ${callee}`, 'refused'],
        [`REFUSE by ${callee}`, 'refused'],
        ['SERVER_HANGUP', 'hangup_server'],
        ['BAN of guest', 'banned'],
        ['BAN of anchor', 'banned'],
        ['ring timeout', 'missed'],
      ]);
  };
  const liveEndings = endings('live', [
    ['HANGUP by guest', 'hangup_guest'],
    ['HANGUP by anchor', 'hangup_anchor'],
    ['SERVER_HANGUP', 'hangup_server'],
    ['BAN of guest', 'banned'],
    ['BAN of anchor', 'banned'],
    ['CHARGE_FAILED 1', 'insufficient_funds'],
    ['CHARGE_FAILED 2', 'insufficient_funds'],
    ['CHARGE_FAILED 3', 'insufficient_funds'],
    ['GRACE_EXPIRED guest', 'disconnect'],
    ['GRACE_EXPIRED anchor', 'disconnect'],
  ]);
  const allReasons: CallEndReason[] = [
    'refused',
    'cancelled',
    'missed',
    'hangup_guest',
    'hangup_anchor',
    'hangup_server',
    'insufficient_funds',
    'disconnect',
    'banned',
  ];
  const settling = allReasons.map((r) => `ended (${r}) --SETTLED--> settled (${r})`);

  const expectedTransitions = {
    guest: [
      'ringing --ACCEPT by anchor--> accepted',
      'ringing --START by anchor--> live',
      'accepted --START by anchor--> live',
      ...openEndings('guest')('ringing'),
      ...openEndings('guest')('accepted'),
      ...liveEndings,
      ...settling,
    ],
    anchor: [
      'ringing --ACCEPT by guest--> accepted',
      'accepted --START by anchor--> live',
      ...openEndings('anchor')('ringing'),
      ...openEndings('anchor')('accepted'),
      ...liveEndings,
      ...settling,
    ],
  };

  describe.each(['guest', 'anchor'] as const)('a call the %s initiates', (initiator) => {
    const input = inputFor(initiator);

    it('has exactly the transitions the flow allows, across every reachable context', () => {
      const edges = adjacencyMapToArray(getAdjacencyMap(callMachine, { input, events: sampleEvents }));
      expect(edges.length).toBeGreaterThan(1_000);
      const seen = new Set<string>();
      for (const { state, event, nextState } of edges) {
        if (nextState.value !== state.value) {
          seen.add(`${where(state)} --${describeEvent(state.context, event)}--> ${where(nextState)}`);
        }
      }
      expect([...seen].sort()).toEqual([...expectedTransitions[initiator]].sort());
    });

    it('replaying the shortest path to every reachable snapshot with transition() lands on it', () => {
      const paths = getShortestPaths(callMachine, { input, events: sampleEvents });
      expect(paths.length).toBeGreaterThan(50);
      for (const path of paths) {
        let snapshot = initialTransition(callMachine, input)[0];
        for (const step of path.steps.slice(1)) {
          snapshot = transition(callMachine, snapshot, step.event)[0];
          expect(snapshot.value).toEqual(step.state.value);
        }
        expect(snapshot.context).toEqual(path.state.context);
        expect(snapshot.status).toBe(path.state.status);

        const state = snapshot.value as CallState;
        const over = state === 'ended' || state === 'settled';
        expect(snapshot.status).toBe(state === 'settled' ? 'done' : 'active');
        expect(snapshot.context.endReason !== undefined).toBe(over);
        expect(snapshot.context.endedAt !== undefined).toBe(over);
        expect(snapshot.context.minutesStarted).toBeGreaterThanOrEqual(0);
        // Went live ⇔ at least one minute charged, unless that very minute failed to charge.
        const { startedAt, minutesStarted, endReason } = snapshot.context;
        expect(startedAt !== undefined).toBe(minutesStarted > 0 || endReason === 'insufficient_funds');
      }
    });

    it('every route from ringing runs ringing → [accepted] → [live] → ended → settled', () => {
      const paths = getSimplePaths(callMachine, {
        input,
        events: sampleEvents,
        serializeState: (s) => String(s.value),
      });
      const routes = paths.map((p) => p.steps.map((step) => String(step.state.value)).join(' → '));
      const expected = [
        'ringing',
        'ringing → accepted',
        'ringing → accepted → live',
        'ringing → ended',
        'ringing → accepted → ended',
        'ringing → accepted → live → ended',
        'ringing → ended → settled',
        'ringing → accepted → ended → settled',
        'ringing → accepted → live → ended → settled',
      ];
      if (initiator === 'guest') {
        expected.push('ringing → live', 'ringing → live → ended', 'ringing → live → ended → settled');
      }
      expect([...new Set(routes)].sort()).toEqual(expected.sort());
    });
  });
});

describe('a persisted snapshot', () => {
  const roundTrip = (snapshot: CallSnapshot): CallSnapshot =>
    callMachine.resolveState(JSON.parse(JSON.stringify(callMachine.getPersistedSnapshot(snapshot))));

  const snapshots: Array<[string, () => CallSnapshot]> = [
    ['ringing', () => create('anchor')],
    ['accepted', () => run(create('anchor'), accept(GUEST))],
    ['live with a side away', () => run(liveCall(), tick(2), disconnected('guest'))],
    ['ended by a ban', () => run(liveCall(), ban(ANCHOR, 'stream'))],
    ['settled', () => run(liveCall(), hangup(GUEST), settled())],
  ];
  const probes: CallEvent[] = [
    accept(GUEST),
    accept(ANCHOR),
    start(ANCHOR),
    hangup(GUEST),
    hangup(STRANGER),
    tick(3),
    tick(2),
    chargeFailed(2),
    reconnected('guest'),
    graceExpired('guest'),
    disconnected('anchor'),
    ban(GUEST),
    serverHangup(),
    settled(),
    RING_TIMEOUT_IN_RINGING,
    RING_TIMEOUT_IN_ACCEPTED,
  ];

  it.each(snapshots)('in %s survives a JSON round-trip and transitions the same afterwards', (_, given) => {
    const original = given();
    const restored = roundTrip(original);
    expect(restored.value).toEqual(original.value);
    expect(restored.context).toEqual(original.context);
    expect(restored.status).toBe(original.status);
    expect(callView(restored)).toEqual(callView(original));
    for (const event of probes) {
      expect(restored.can(event)).toBe(original.can(event));
      const [a, aActions] = transition(callMachine, original, event);
      const [b, bActions] = transition(callMachine, restored, event);
      expect(b.value).toEqual(a.value);
      expect(b.context).toEqual(a.context);
      expect(b.status).toBe(a.status);
      expect(effects(bActions)).toEqual(effects(aActions));
    }
  });

  it('is plain JSON: value, context, status and nothing that needs the machine', () => {
    const persisted = JSON.parse(JSON.stringify(callMachine.getPersistedSnapshot(liveCall())));
    expect(persisted).toMatchObject({ value: 'live', status: 'active', children: {} });
    expect(persisted.context.minutesStarted).toBe(1);
  });
});

describe('callView and partyOf', () => {
  it('shows matchStatus 2 while ringing, 1 once agreed or live, 3 once over', () => {
    expect(callView(create('guest')).matchStatus).toBe(2);
    expect(callView(run(create('guest'), accept(ANCHOR))).matchStatus).toBe(1);
    expect(callView(liveCall()).matchStatus).toBe(1);
    expect(callView(run(liveCall(), hangup(GUEST))).matchStatus).toBe(3);
    expect(callView(run(create('guest'), refuse(ANCHOR), settled())).matchStatus).toBe(3);
  });

  it('is the public view of a fresh call', () => {
    expect(callView(create('anchor'))).toEqual({
      roomInstanceId: 'c-42',
      state: 'ringing',
      matchStatus: 2,
      reason: null,
      guestId: GUEST,
      anchorId: ANCHOR,
      initiator: 'anchor',
      createdAt: CREATED_AT,
      acceptedAt: null,
      startedAt: null,
      endedAt: null,
      minutes: 0,
      unitPrice: 30,
      unitPriceDiamond: 60,
      roomID: null,
    });
  });

  it('names the party a user id is, or null for a stranger', () => {
    const { context } = create('guest');
    expect(partyOf(context, GUEST)).toBe('guest');
    expect(partyOf(context, ANCHOR)).toBe('anchor');
    expect(partyOf(context, STRANGER)).toBeNull();
  });
});

describe('what the parties are told of a transition (callUpdates)', () => {
  const PARTIES = { callId: 'c-42', userIds: [GUEST, ANCHOR] };
  // The host presents the view with its own id form; the updates carry whatever view it gives.
  const hostView = (snapshot: CallSnapshot) => ({ ...callView(snapshot), roomInstanceId: 42 });
  const updatesOf = (snapshot: CallSnapshot, event: CallEvent | { type: 'xstate.init' }, created = false) =>
    callUpdates({
      event,
      context: snapshot.context,
      view: hostView(snapshot),
      version: 3,
      created,
      final: snapshot.status === 'done',
    });
  /** The view to both parties, then the guest's warning: his wallet, then the view flagged lowBalance. */
  const viewThenWarning = (snapshot: CallSnapshot, diamond: number, paidUntil: number) => [
    { audience: PARTIES, event: 'call:update', payload: hostView(snapshot), latest: true },
    {
      audience: { userId: GUEST },
      event: 'wallet:update',
      payload: { diamond, lowBalance: true, roomInstanceId: 42, unitPriceDiamond: 60, paidUntil },
    },
    {
      audience: { userId: GUEST },
      event: 'call:update',
      payload: { ...hostView(snapshot), lowBalance: true, diamond, paidUntil },
      latest: true,
    },
  ];
  const charged = (minute: number, diamond: number): CallEvent => ({
    type: 'MINUTE_CHARGED',
    minute,
    diamond,
    at: at(),
  });

  it('a new call: both parties join its room, then both hear of it', () => {
    const snapshot = create('guest');
    expect(updatesOf(snapshot, { type: 'xstate.init' }, true)).toEqual([
      { audience: PARTIES, join: [GUEST, ANCHOR] },
      { audience: PARTIES, event: 'call:update', payload: hostView(snapshot), latest: true },
    ]);
  });

  it('every other transition: its view to both parties', () => {
    const snapshot = run(liveCall(), hangup(GUEST));
    expect(updatesOf(snapshot, hangup(GUEST))).toEqual([
      { audience: PARTIES, event: 'call:update', payload: hostView(snapshot), latest: true },
    ]);
  });

  it('takes a charged minute only when what is left cannot pay the next one, for the current minute', () => {
    const live = run(liveCall(), tick(2));
    expect(live.can(charged(2, 59))).toBe(true);
    expect(live.can(charged(2, 60))).toBe(false);
    expect(live.can(charged(1, 10))).toBe(false);
    expect(create('guest').can(charged(1, 10))).toBe(false);
    const [after, actions] = transition(callMachine, live, charged(2, 30));
    expect(after.context).toEqual({ ...live.context, lowBalance: { minute: 2, diamond: 30 } });
    expect(actions).toEqual([]);
    // Reported again (an effect re-run after a crash): warned once.
    expect(after.can(charged(2, 30))).toBe(false);
    expect(run(after, tick(3)).can(charged(3, 0))).toBe(true);
  });

  it('warns the guest after the view: his wallet, then the view flagged lowBalance, until when it is paid', () => {
    const live = run(liveCall(), tick(2));
    const [after] = transition(callMachine, live, charged(2, 30));
    const paidUntil = (after.context.startedAt ?? 0) + 2 * 60_000;
    expect(updatesOf(after, charged(2, 30))).toEqual(viewThenWarning(after, 30, paidUntil));
  });

  it('going live with a paid minute 1 that leaves too little for minute 2 warns the guest in the same transition', () => {
    const event: CallEvent = { type: 'START', by: ANCHOR, at: 5_000, firstMinutePaid: { guestDiamonds: 30 } };
    const [snapshot] = transition(callMachine, create('guest'), event);
    expect(snapshot.context.lowBalance).toEqual({ minute: 1, diamond: 30 });
    expect(updatesOf(snapshot, event)).toEqual(viewThenWarning(snapshot, 30, 5_000 + 60_000));
  });
});

describe('property: any sequence of events, delayed jobs included', () => {
  type Command =
    | { kind: 'event'; event: CallEvent }
    | { kind: 'fire'; pick: number }
    | { kind: 'refire'; pick: number }
    | { kind: 'wait'; ms: number };

  const user = fc.constantFrom(GUEST, ANCHOR, STRANGER);
  const party = fc.constantFrom('guest' as const, 'anchor' as const);
  const minute = fc.integer({ min: -1, max: 6 });
  // `at` is stamped by the simulated host below.
  // Weighted towards the events that move a call forward, so that most runs reach `live`.
  const eventArb: fc.Arbitrary<CallEvent> = fc.oneof(
    {
      weight: 12,
      arbitrary: fc.record({
        type: fc.constantFrom('ACCEPT' as const, 'START' as const),
        by: user,
        at: fc.constant(0),
      }),
    },
    {
      weight: 2,
      arbitrary: fc.record({
        type: fc.constantFrom('REFUSE' as const, 'HANGUP' as const),
        by: user,
        at: fc.constant(0),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        type: fc.constant('SERVER_HANGUP' as const),
        by: fc.constantFrom('server', 'admin-1'),
        at: fc.constant(0),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        type: fc.constant('BAN' as const),
        userId: user,
        banType: fc.constantFrom('account' as const, 'stream' as const),
        title: fc.constant('t'),
        at: fc.constant(0),
      }),
    },
    {
      weight: 6,
      arbitrary: fc.record({
        type: fc.constantFrom('TICK' as const, 'CHARGE_FAILED' as const),
        minute,
        at: fc.constant(0),
      }),
    },
    {
      weight: 6,
      arbitrary: fc.record({
        type: fc.constantFrom('DISCONNECTED' as const, 'RECONNECTED' as const, 'GRACE_EXPIRED' as const),
        party,
        at: fc.constant(0),
      }),
    },
    { weight: 2, arbitrary: fc.record({ type: fc.constant('SETTLED' as const), at: fc.constant(0) }) },
    { weight: 1, arbitrary: fc.constantFrom(RING_TIMEOUT_IN_RINGING, RING_TIMEOUT_IN_ACCEPTED) },
  );
  const commandArb: fc.Arbitrary<Command> = fc.oneof(
    { weight: 6, arbitrary: eventArb.map((event) => ({ kind: 'event' as const, event })) },
    { weight: 3, arbitrary: fc.nat().map((pick) => ({ kind: 'fire' as const, pick })) },
    { weight: 1, arbitrary: fc.nat().map((pick) => ({ kind: 'refire' as const, pick })) },
    { weight: 3, arbitrary: fc.integer({ min: 1, max: 8_000 }).map((ms) => ({ kind: 'wait' as const, ms })) },
  );

  const sameEvent = (a: CallEvent, b: CallEvent) => {
    const { at: _a, ...x } = a;
    const { at: _b, ...y } = b;
    return JSON.stringify(Object.entries(x).sort()) === JSON.stringify(Object.entries(y).sort());
  };

  // Short billing so that waits of a few seconds run a call through several minutes.
  const propertyInput = (initiator: CallInput['initiator']): CallInput => ({
    ...inputFor(initiator),
    ringTimeoutMs: 30_000,
    billingIntervalMs: 5_000,
    disconnectGraceMs: 10_000,
  });

  it('keeps minutes non-negative, billing consecutive, one reason per ended call, settled final', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('guest' as const, 'anchor' as const),
        fc.boolean(),
        fc.array(commandArb, { maxLength: 100, size: 'max' }),
        (initiator, answered, commands) => {
          let now = CREATED_AT;
          let [snapshot, actions] = initialTransition(callMachine, propertyInput(initiator));
          // The simulated host: delayed jobs by id with their due time, and jobs already fired
          // (BullMQ is at-least-once, so one may run again).
          const pending = new Map<string, { event: CallEvent; due: number }>();
          const fired: CallEvent[] = [];
          const charged: number[] = [];
          let settleCalls = 0;
          let reason: CallEndReason | undefined;

          const apply = (list: readonly Effect[]) => {
            for (const { type, params } of list) {
              if (type === 'xstate.raise') {
                const p = params as { event: CallEvent; id: string; delay: number };
                expect(typeof p.delay).toBe('number');
                expect(pending.has(p.id)).toBe(false);
                pending.set(p.id, { event: p.event, due: now + p.delay });
              } else if (type === 'xstate.cancel') {
                pending.delete((params as { sendId: string }).sendId);
              } else if (type === 'chargeMinute') {
                charged.push((params as { minute: number }).minute);
              } else if (type === 'settleCall') {
                settleCalls++;
              } else {
                throw new Error(`unexpected action ${type}`);
              }
            }
          };
          apply(actions);
          // Half the runs start from a call both sides have agreed to, so that billing gets exercised.
          const callee = initiator === 'guest' ? ANCHOR : GUEST;
          const opening: CallEvent[] = answered
            ? [
                { type: 'ACCEPT', by: callee, at: now },
                { type: 'START', by: ANCHOR, at: now },
              ]
            : [];
          for (const event of opening) {
            [snapshot, actions] = transition(callMachine, snapshot, event);
            apply(actions);
          }

          for (const command of commands) {
            let event: CallEvent;
            if (command.kind === 'wait') {
              now += command.ms;
              continue;
            } else if (command.kind === 'event') {
              event = { ...command.event, at: now };
              // An event equal to a scheduled job's is that job arriving early: it has left the queue.
              for (const [id, job] of pending) {
                if (sameEvent(job.event, event)) pending.delete(id);
              }
            } else if (command.kind === 'fire') {
              const due = [...pending].filter(([, job]) => job.due <= now);
              const picked = due[command.pick % Math.max(due.length, 1)];
              if (!picked) continue;
              pending.delete(picked[0]);
              fired.push(picked[1].event);
              event = { ...picked[1].event, at: now };
            } else {
              const again = fired[command.pick % Math.max(fired.length, 1)];
              if (!again) continue;
              event = { ...again, at: now };
            }
            now += 1;

            const before = snapshot;
            const allowed = before.can(event);
            [snapshot, actions] = transition(callMachine, before, event);
            if (!allowed) {
              expect(snapshot).toBe(before);
              expect(actions).toEqual([]);
            }
            apply(actions);

            const { context } = snapshot;
            expect(context.minutesStarted).toBeGreaterThanOrEqual(0);
            if (before.value === 'settled') expect(snapshot.value).toBe('settled');
            const over = snapshot.value === 'ended' || snapshot.value === 'settled';
            expect(context.endReason !== undefined).toBe(over);
            if (reason !== undefined) expect(context.endReason).toBe(reason);
            reason = context.endReason;
            expect(settleCalls).toBe(over ? 1 : 0);
            // Nothing the call scheduled may still fire once it is over.
            if (over) expect(pending.size).toBe(0);
          }

          // Each minute charged once, in order; an unpaid last minute is not counted.
          expect(charged).toEqual(charged.map((_, i) => i + 1));
          const unpaid = snapshot.context.endReason === 'insufficient_funds' ? 1 : 0;
          expect(snapshot.context.minutesStarted).toBe(charged.length - unpaid);
        },
      ),
      { numRuns: 1_000 },
    );
  });
});
