import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type AnyMachineSnapshot,
  type AnyStateMachine,
  createActor,
  initialTransition,
  transition,
} from 'xstate';
import { type CallEvent, type CallInput, callMachine } from '../../../machines/call.js';
import { type RoomEvent, type RoomInput, roomMachine } from '../../../machines/room.js';
import { pureTransition, restoreSnapshot } from '../../../src/runtime/inert-scope.js';

const shapes = (actions: readonly { type: string; params?: unknown }[]) =>
  actions.map(({ type, params }) => ({ type, params }));

const persisted = (machine: AnyStateMachine, snapshot: AnyMachineSnapshot) =>
  JSON.parse(JSON.stringify(machine.getPersistedSnapshot(snapshot)));

/** Runs the events through both xstate's helpers and the runtime's, step by step, and compares every step. */
function compare(machine: AnyStateMachine, input: unknown, events: readonly { type: string }[]) {
  let [ours] = initialTransition(machine, input);
  let [theirs] = initialTransition(machine, input);
  for (const event of events) {
    const [nextOurs, ourActions] = pureTransition(machine, ours, event);
    const [nextTheirs, theirActions] = transition(machine, theirs, event);
    expect(persisted(machine, nextOurs)).toEqual(persisted(machine, nextTheirs));
    expect(shapes(ourActions)).toEqual(shapes(theirActions));
    const stored = machine.getPersistedSnapshot(nextOurs);
    expect(persisted(machine, restoreSnapshot(machine, stored))).toEqual(
      persisted(machine, createActor(machine, { snapshot: stored }).getSnapshot()),
    );
    [ours, theirs] = [nextOurs, nextTheirs];
  }
}

const GUEST = 101;
const ANCHOR = 202;
const callInput: CallInput = {
  callId: 'c-1',
  guestId: GUEST,
  anchorId: ANCHOR,
  initiator: 'guest',
  unitPricePoints: 30,
  unitPriceDiamonds: 60,
  ringTimeoutMs: 30_000,
  billingIntervalMs: 60_000,
  disconnectGraceMs: 15_000,
  at: 1_000,
};
const party = fc.constantFrom(GUEST, ANCHOR, 303);
const at = fc.integer({ min: 1_000, max: 10_000_000 });
const callEvent: fc.Arbitrary<CallEvent | { type: string }> = fc.oneof(
  fc.record({ type: fc.constantFrom('ACCEPT', 'REFUSE', 'HANGUP'), by: party, at }),
  fc.record({
    type: fc.constant('START'),
    by: party,
    at,
    firstMinutePaid: fc.option(fc.record({ guestDiamonds: fc.integer({ min: 0, max: 200 }) }), {
      nil: undefined,
    }),
  }),
  fc.record({ type: fc.constant('TICK'), minute: fc.integer({ min: 1, max: 4 }), at }),
  fc.record({ type: fc.constant('CHARGE_FAILED'), minute: fc.integer({ min: 1, max: 4 }), at }),
  fc.record({
    type: fc.constant('MINUTE_CHARGED'),
    minute: fc.integer({ min: 1, max: 4 }),
    diamond: fc.integer({ min: 0, max: 200 }),
    at,
  }),
  fc.record({
    type: fc.constantFrom('DISCONNECTED', 'RECONNECTED', 'GRACE_EXPIRED'),
    party: fc.constantFrom('guest', 'anchor'),
    at,
  }),
  fc.record({ type: fc.constant('SETTLED'), at }),
  fc.constant({ type: 'xstate.after.ringTimeout.call.ringing' }),
  fc.constant({ type: 'xstate.after.ringTimeout.call.accepted' }),
);

const roomInput: RoomInput = {
  roomId: '7',
  matchmakerId: 1,
  roomName: 'Friday',
  groupId: 'g7',
  graceMs: 30_000,
  at: 1_000,
};
const member = fc.integer({ min: 1, max: 5 });
const roomEvent: fc.Arbitrary<RoomEvent | { type: string }> = fc.oneof(
  fc.record({ type: fc.constant('ENTER'), userId: member, gender: fc.constantFrom(1, 2), at }),
  fc.record({
    type: fc.constantFrom('LEAVE', 'APPLY', 'LOGOUT', 'DISCONNECTED', 'RECONNECTED', 'GRACE_EXPIRED'),
    userId: member,
    at,
  }),
  fc.record({
    type: fc.constantFrom('ACCEPT_SEAT', 'REFUSE_SEAT', 'LEAVE_SEAT'),
    userId: member,
    by: member,
    at,
  }),
  fc.record({ type: fc.constant('MEMBERS_EXITED'), userIds: fc.array(member, { maxLength: 3 }), at }),
  fc.record({ type: fc.constantFrom('END', 'ADMIN_END'), by: member, at }),
  fc.record({ type: fc.constant('BAN'), userId: member, by: member, at }),
);

describe('the runtime’s pure transition with one inert scope per machine', () => {
  it('gives the call machine’s snapshots and actions exactly as xstate’s transition() does, and restores them alike', () => {
    fc.assert(
      fc.property(fc.array(callEvent, { maxLength: 14 }), (events) =>
        compare(callMachine, callInput, events),
      ),
      {
        numRuns: 300,
      },
    );
  });

  it('gives the room machine’s snapshots and actions exactly as xstate’s transition() does', () => {
    fc.assert(
      fc.property(fc.array(roomEvent, { maxLength: 14 }), (events) =>
        compare(roomMachine, roomInput, events),
      ),
      {
        numRuns: 300,
      },
    );
  });

  it('keeps the actions of one transition apart from the next one’s', () => {
    const [ringing] = initialTransition(callMachine, callInput);
    const start: CallEvent = { type: 'START', by: ANCHOR, at: 5_000 };
    const refuse: CallEvent = { type: 'REFUSE', by: ANCHOR, at: 5_000 };
    const [, first] = pureTransition(callMachine, ringing, start);
    const [, second] = pureTransition(callMachine, ringing, refuse);
    expect(shapes(first).map((action) => action.type)).toEqual([
      'xstate.cancel',
      'chargeMinute',
      'xstate.raise',
    ]);
    expect(shapes(second).map((action) => action.type)).not.toContain('chargeMinute');
  });
});
