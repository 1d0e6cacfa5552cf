/**
 * Unit tests of the pure room machine, driven the way the host drives it: only through xstate's
 * `initialTransition(machine, input)` and `transition(machine, snapshot, event)`.
 *
 * Persist / restore recipe (checked against xstate 5.33.3):
 *
 *   persist:  const json = JSON.stringify(roomMachine.getPersistedSnapshot(snapshot));
 *   restore:  const snapshot = roomMachine.resolveState(JSON.parse(json));
 *
 * `getPersistedSnapshot` gives `{status, value, historyValue, context, children}` (plain JSON for
 * this machine: no children, no history states). `resolveState({value, context, status})` rebuilds
 * the state nodes and the `can` / `matches` methods; it recomputes `status: 'done'` for the final
 * state. `JSON.stringify(snapshot)` (the snapshot's own `toJSON`) restores the same way.
 * `machine.restoreSnapshot(json, actorScope)` is the actor path and needs an actor scope: not for
 * the pure host. A restored snapshot goes straight into `transition()`.
 */
import { getShortestPaths } from '@xstate/graph';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { initialTransition, transition } from 'xstate';
import {
  type EventOf,
  type Gender,
  graceRaiseId,
  numList,
  type RoomEffect,
  type RoomEvent,
  type RoomInput,
  type RoomNotice,
  type RoomSnapshot,
  refusalOf,
  roomEffects,
  roomMachine,
  roomUpdates,
  roomView,
  type UserType,
  userTypeIn,
} from '../../../machines/room.js';

// The cast: a matchmaker, two men, two women, and a stranger who never enters.
const M = 1;
const A = 11;
const B = 12;
const C = 21;
const D = 22;
const S = 99;
const ADMIN = 900;
const USERS = [M, A, B, C, D, S] as const;
const GENDER: Record<number, Gender> = { [A]: 1, [B]: 1, [C]: 2, [D]: 2 };

const GRACE_MS = 30_000;
const input: RoomInput = {
  roomId: 'room-7',
  matchmakerId: M,
  roomName: '周末相亲角',
  groupId: '@TGS#7',
  graceMs: GRACE_MS,
  at: 1_000,
};

function start(): RoomSnapshot {
  const [snapshot, actions] = initialTransition(roomMachine, input);
  expect(actions).toEqual([]);
  return snapshot;
}

/** One event; the effects without the notices (those have their own tests, see `noticesOf`). */
function step(snapshot: RoomSnapshot, event: RoomEvent): [RoomSnapshot, RoomEffect[]] {
  const [next, actions] = transition(roomMachine, snapshot, event);
  return [next, roomEffects(actions).filter((effect) => effect.type !== 'announce')];
}

/** The notices one event announces, in order. */
function noticesOf(snapshot: RoomSnapshot, event: RoomEvent): RoomNotice[] {
  const [, actions] = transition(roomMachine, snapshot, event);
  return roomEffects(actions).flatMap((effect) => (effect.type === 'announce' ? [effect.params] : []));
}

/** Applies events that must all apply. */
function play(events: RoomEvent[], from: RoomSnapshot = start()): RoomSnapshot {
  let snapshot = from;
  for (const event of events) {
    expect(snapshot.can(event), `${JSON.stringify(event)} should apply`).toBe(true);
    [snapshot] = step(snapshot, event);
  }
  return snapshot;
}

function persist(snapshot: RoomSnapshot): string {
  return JSON.stringify(roomMachine.getPersistedSnapshot(snapshot));
}

function restore(json: string): RoomSnapshot {
  return roomMachine.resolveState(JSON.parse(json));
}

const types = (snapshot: RoomSnapshot) => USERS.map((u) => userTypeIn(snapshot, u));

// Event builders; every event carries the host's clock.
let clock = 10_000;
const at = () => ++clock;
const enter = (userId: number, gender: Gender = GENDER[userId] ?? 0): RoomEvent => ({
  type: 'ENTER',
  userId,
  gender,
  at: at(),
});
const leave = (userId: number): RoomEvent => ({ type: 'LEAVE', userId, at: at() });
const apply = (userId: number): RoomEvent => ({ type: 'APPLY', userId, at: at() });
const accept = (userId: number, by = userId): RoomEvent => ({ type: 'ACCEPT_SEAT', userId, by, at: at() });
const refuse = (userId: number, by = userId): RoomEvent => ({ type: 'REFUSE_SEAT', userId, by, at: at() });
const leaveSeat = (userId: number, by = userId): RoomEvent => ({ type: 'LEAVE_SEAT', userId, by, at: at() });
const end = (by: number): RoomEvent => ({ type: 'END', by, at: at() });
const adminEnd = (by = ADMIN): RoomEvent => ({ type: 'ADMIN_END', by, at: at() });
const ban = (userId: number, by = ADMIN): RoomEvent => ({ type: 'BAN', userId, by, at: at() });
const disconnected = (userId: number): RoomEvent => ({ type: 'DISCONNECTED', userId, at: at() });
const reconnected = (userId: number): RoomEvent => ({ type: 'RECONNECTED', userId, at: at() });
const graceExpired = (userId: number): RoomEvent => ({ type: 'GRACE_EXPIRED', userId, at: at() });
const seated = (userId: number) => [enter(userId), apply(userId), accept(userId)];

// ---------------------------------------------------------------------------------------------
// An independent model of the rules, in terms of user types only, for the graph walk.

interface Model {
  ended: boolean;
  types: Map<number, UserType>;
  marked: Set<number>;
}

function modelOf(snapshot: RoomSnapshot): Model {
  return {
    ended: snapshot.status === 'done',
    types: new Map(USERS.map((u) => [u, userTypeIn(snapshot, u)])),
    marked: new Set(snapshot.context.disconnected),
  };
}

/** The model after `event`, or null when the event does not apply. */
function modelStep(model: Model, event: RoomEvent): Model | null {
  if (model.ended) return null;
  const type = (u: number) => model.types.get(u) ?? 0;
  const next: Model = { ended: false, types: new Map(model.types), marked: new Set(model.marked) };
  const set = (u: number, t: UserType) => {
    next.types.set(u, t);
    if (t !== 3 && t !== 4) next.marked.delete(u);
  };
  const seatType = (u: number): UserType | null => (GENDER[u] === 1 ? 3 : GENDER[u] === 2 ? 4 : null);
  const endRoom = () => ({
    ended: true,
    types: new Map(USERS.map((u) => [u, 0 as UserType])),
    marked: new Set<number>(),
  });
  switch (event.type) {
    case 'ENTER':
      if (type(event.userId) !== 0) return null;
      set(event.userId, 1);
      return next;
    case 'LEAVE':
      if (![1, 2, 3, 4].includes(type(event.userId))) return null;
      set(event.userId, 0);
      return next;
    case 'APPLY':
      if (type(event.userId) !== 1 || seatType(event.userId) === null) return null;
      set(event.userId, 2);
      return next;
    case 'ACCEPT_SEAT': {
      const seat = seatType(event.userId);
      if (event.by !== event.userId && event.by !== M) return null;
      if (type(event.userId) !== 2 || seat === null || [...model.types.values()].includes(seat)) return null;
      set(event.userId, seat);
      return next;
    }
    case 'REFUSE_SEAT':
      if (event.by !== event.userId && event.by !== M) return null;
      if (type(event.userId) !== 2) return null;
      set(event.userId, 1);
      return next;
    case 'LEAVE_SEAT':
      if (![3, 4].includes(type(event.userId)) || (event.by !== event.userId && event.by !== M)) return null;
      set(event.userId, 1);
      return next;
    case 'END':
      return event.by === M ? endRoom() : null;
    case 'ADMIN_END':
      return endRoom();
    case 'BAN':
      if (event.userId === M) return endRoom();
      if (type(event.userId) === 0) return null;
      set(event.userId, 0);
      return next;
    case 'DISCONNECTED':
      if (![3, 4, 5].includes(type(event.userId)) || model.marked.has(event.userId)) return null;
      next.marked.add(event.userId);
      return next;
    case 'RECONNECTED':
      if (!model.marked.has(event.userId)) return null;
      next.marked.delete(event.userId);
      return next;
    case 'GRACE_EXPIRED':
      if (!model.marked.has(event.userId)) return null;
      if (event.userId === M) return endRoom();
      set(event.userId, 1);
      return next;
    case 'LOGOUT':
      if (event.userId === M) return endRoom();
      if (type(event.userId) === 0) return null;
      set(event.userId, 0);
      return next;
    case 'MEMBERS_EXITED':
      for (const userId of event.userIds) if (type(userId) !== 5) set(userId, 0);
      return next;
    case 'GROUP_ASSIGNED':
      return next;
  }
}

const modelTypes = (model: Model) => USERS.map((u) => model.types.get(u) ?? 0);

/** Sample events for the graph walk: all with the same `at` so equal line-ups serialise equally. */
function sampleEvents(): RoomEvent[] {
  const t = 50_000;
  const events: RoomEvent[] = [];
  for (const u of [A, B, C, D]) {
    events.push(
      { type: 'ENTER', userId: u, gender: GENDER[u] ?? 0, at: t },
      { type: 'LEAVE', userId: u, at: t },
      { type: 'APPLY', userId: u, at: t },
      { type: 'ACCEPT_SEAT', userId: u, by: u, at: t },
      { type: 'REFUSE_SEAT', userId: u, by: M, at: t },
      { type: 'LEAVE_SEAT', userId: u, by: u, at: t },
      { type: 'LEAVE_SEAT', userId: u, by: M, at: t },
      { type: 'LEAVE_SEAT', userId: u, by: S, at: t },
      { type: 'BAN', userId: u, by: ADMIN, at: t },
      { type: 'DISCONNECTED', userId: u, at: t },
      { type: 'RECONNECTED', userId: u, at: t },
      { type: 'GRACE_EXPIRED', userId: u, at: t },
      { type: 'LOGOUT', userId: u, at: t },
      { type: 'MEMBERS_EXITED', userIds: [u], at: t },
    );
  }
  for (const u of [S, M]) {
    events.push(
      { type: 'LEAVE', userId: u, at: t },
      { type: 'APPLY', userId: u, at: t },
      { type: 'ACCEPT_SEAT', userId: u, by: u, at: t },
      { type: 'REFUSE_SEAT', userId: u, by: u, at: t },
      { type: 'LEAVE_SEAT', userId: u, by: M, at: t },
      { type: 'BAN', userId: u, by: ADMIN, at: t },
      { type: 'DISCONNECTED', userId: u, at: t },
      { type: 'RECONNECTED', userId: u, at: t },
      { type: 'GRACE_EXPIRED', userId: u, at: t },
      { type: 'LOGOUT', userId: u, at: t },
    );
  }
  events.push(
    { type: 'ENTER', userId: M, gender: 2, at: t },
    { type: 'END', by: M, at: t },
    { type: 'END', by: A, at: t },
    { type: 'END', by: S, at: t },
    { type: 'ADMIN_END', by: ADMIN, at: t },
  );
  return events;
}

const serialize = (snapshot: RoomSnapshot) =>
  JSON.stringify({
    value: snapshot.value,
    types: types(snapshot),
    marked: [...snapshot.context.disconnected].sort(),
    endReason: snapshot.context.endReason,
  });

describe('room machine: every reachable line-up (@xstate/graph shortest paths)', () => {
  const events = sampleEvents();
  const paths = getShortestPaths(roomMachine, { input, events, serializeState: serialize });

  it('reaches every combination of the cast, disconnections and end reasons', () => {
    // 15 line-ups per sex (each of 2 people out / audience / applied, or one of them seated)
    // x disconnect marks on the matchmaker and on seated users, plus the 5 ways to end.
    expect(paths.length).toBe(21 * 21 * 2 + 5);
    expect(paths.some((p) => p.state.status === 'done')).toBe(true);
  });

  it('gives every user the user_type the rules say along every path, and applies exactly what the rules allow', () => {
    for (const path of paths) {
      let snapshot = start();
      let model = modelOf(snapshot);
      expect(types(snapshot)).toEqual([5, 0, 0, 0, 0, 0]);
      expect(path.steps[0]?.event.type).toBe('xstate.init');
      for (const { event } of path.steps.slice(1)) {
        const expected = modelStep(model, event);
        expect(expected, `${JSON.stringify(event)} on ${serialize(snapshot)}`).not.toBeNull();
        expect(snapshot.can(event)).toBe(true);
        [snapshot] = step(snapshot, event);
        model = expected as Model;
        expect(types(snapshot)).toEqual(modelTypes(model));
        expect([...snapshot.context.disconnected].sort()).toEqual([...model.marked].sort());
      }
      expect(serialize(snapshot)).toBe(serialize(path.state));

      // From this reachable state, every sample event applies exactly when the rules say so.
      for (const event of events) {
        const expected = modelStep(model, event);
        expect(snapshot.can(event), `${JSON.stringify(event)} on ${serialize(snapshot)}`).toBe(
          expected !== null,
        );
        const [next, effects] = step(snapshot, event);
        if (expected === null) {
          expect(next).toBe(snapshot);
          expect(effects).toEqual([]);
        } else {
          expect(types(next)).toEqual(modelTypes(expected));
        }
      }
    }
  }, 120_000);
});

// ---------------------------------------------------------------------------------------------

describe('events that do not apply: can() is false, the snapshot is unchanged, no actions', () => {
  const cases: [string, RoomEvent[], RoomEvent][] = [
    ['a stranger leaves', [], leave(S)],
    ['a stranger is banned', [], ban(S)],
    ['the matchmaker leaves like audience', [], leave(M)],
    ['the matchmaker enters as audience', [], enter(M, 2)],
    ['a member enters twice', [enter(A)], enter(A)],
    ['audience accepts a seat without applying', [enter(A)], accept(A)],
    ['audience refuses without applying', [enter(A)], refuse(A)],
    ['a member applies twice', [enter(A), apply(A)], apply(A)],
    ['a member of unknown gender applies', [enter(31, 0)], apply(31)],
    ['a stranger applies', [], apply(S)],
    ['a seat holder applies', seated(A), apply(A)],
    ['a second man accepts the taken male seat', [...seated(A), enter(B), apply(B)], accept(B)],
    [
      'a woman takes the free male seat when the female one is taken',
      [...seated(C), enter(D), apply(D)],
      accept(D),
    ],
    ['audience leaves a seat', [enter(A)], leaveSeat(A)],
    ['someone else takes a seat holder off the mic', [...seated(A), enter(B)], leaveSeat(A, B)],
    ['a non-matchmaker ends the room', [enter(A)], end(A)],
    ['a stranger ends the room', [], end(S)],
    ['audience disconnects', [enter(A)], disconnected(A)],
    ['an applicant disconnects', [enter(A), apply(A)], disconnected(A)],
    ['the matchmaker disconnects twice', [disconnected(M)], disconnected(M)],
    ['reconnecting without a disconnect', seated(A), reconnected(A)],
    ['a grace job fires after the reconnect', [disconnected(M), reconnected(M)], graceExpired(M)],
    ['a grace job fires twice', [...seated(A), disconnected(A), graceExpired(A)], graceExpired(A)],
    [
      'a grace job fires after leaving the seat',
      [...seated(A), disconnected(A), leaveSeat(A)],
      graceExpired(A),
    ],
  ];
  const afterEnd: RoomEvent[] = [
    enter(B),
    leave(A),
    apply(A),
    accept(A),
    refuse(A),
    leaveSeat(C, M),
    end(M),
    adminEnd(),
    ban(M),
    ban(A),
    disconnected(M),
    reconnected(M),
    graceExpired(M),
    graceExpired(C),
  ];
  const endedRoom = [enter(A), apply(A), ...seated(C), disconnected(C), disconnected(M), end(M)];
  for (const event of afterEnd) cases.push([`${event.type} after the room ended`, endedRoom, event]);

  it.each(cases)('%s', (_name, setup, event) => {
    const snapshot = play(setup);
    const before = persist(snapshot);
    expect(snapshot.can(event)).toBe(false);
    const [next, effects] = step(snapshot, event);
    expect(next).toBe(snapshot);
    expect(persist(next)).toBe(before);
    expect(effects).toEqual([]);
  });
});

describe('seats', () => {
  it('two men apply and both accept: exactly one gets the male seat, whichever comes first', () => {
    const base = play([enter(A), enter(B), apply(A), apply(B)]);
    const acceptA = accept(A);
    const acceptB = accept(B);
    // Both were computed from the same snapshot; the host's compare-and-set lets one commit and
    // retries the other on the committed snapshot.
    expect(base.can(acceptA) && base.can(acceptB)).toBe(true);
    for (const [first, second, winner, loser] of [
      [acceptA, acceptB, A, B],
      [acceptB, acceptA, B, A],
    ] as const) {
      const [won, effects] = step(base, first);
      expect(effects).toEqual([
        { type: 'seatChanged', params: { roomId: 'room-7', seat: 'male', userId: winner } },
      ]);
      expect(won.can(second)).toBe(false);
      const [lost, none] = step(won, second);
      expect(lost).toBe(won);
      expect(none).toEqual([]);
      expect(userTypeIn(lost, winner)).toBe(3);
      expect(userTypeIn(lost, loser)).toBe(2);
      expect(lost.context.seats).toEqual({ male: winner, female: null });
      expect(lost.context.applicants).toEqual([loser]);
    }
  });

  it('the seat holder or the matchmaker takes him off the mic; the seat frees with seatChanged', () => {
    let snapshot = play([...seated(A), ...seated(C)]);
    expect(types(snapshot)).toEqual([5, 3, 0, 4, 0, 0]);
    let effects: RoomEffect[];
    [snapshot, effects] = step(snapshot, leaveSeat(A));
    expect(effects).toEqual([
      { type: 'seatChanged', params: { roomId: 'room-7', seat: 'male', userId: null } },
    ]);
    [snapshot, effects] = step(snapshot, leaveSeat(C, M));
    expect(effects).toEqual([
      { type: 'seatChanged', params: { roomId: 'room-7', seat: 'female', userId: null } },
    ]);
    expect(types(snapshot)).toEqual([5, 1, 0, 1, 0, 0]);
  });

  it('leaving or being banned frees the seat too; a banned member may enter again', () => {
    let snapshot = play([...seated(A), ...seated(C), enter(D), apply(D)]);
    let effects: RoomEffect[];
    [snapshot, effects] = step(snapshot, leave(A));
    expect(effects).toEqual([
      { type: 'seatChanged', params: { roomId: 'room-7', seat: 'male', userId: null } },
    ]);
    [snapshot, effects] = step(snapshot, ban(C));
    expect(effects).toEqual([
      { type: 'seatChanged', params: { roomId: 'room-7', seat: 'female', userId: null } },
    ]);
    [snapshot, effects] = step(snapshot, ban(D));
    expect(effects).toEqual([]);
    expect(snapshot.context.members).toEqual({});
    expect(snapshot.context.applicants).toEqual([]);
    expect(types(snapshot)).toEqual([5, 0, 0, 0, 0, 0]);
    expect(snapshot.can(enter(C))).toBe(true);
  });

  it('keeps applicants in order of application; refusing goes back to the audience', () => {
    const snapshot = play([enter(C), enter(A), enter(D), apply(D), apply(A), apply(C), refuse(A)]);
    expect(snapshot.context.applicants).toEqual([D, C]);
    expect(userTypeIn(snapshot, A)).toBe(1);
    expect(numList(snapshot)).toEqual([0, 1, 2, 2]);
  });
});

describe('ending', () => {
  it.each([
    ['END by the matchmaker', end(M), 'matchmaker_ended', M],
    ['ADMIN_END', adminEnd(ADMIN), 'admin', ADMIN],
    ['BAN of the matchmaker', ban(M, ADMIN), 'banned', ADMIN],
  ] as const)('%s ends the room, archives it and cancels every pending grace', (_n, event, reason, by) => {
    const live = play([...seated(A), disconnected(A), disconnected(M), enter(D)]);
    const [ended, effects] = step(live, event);
    expect(ended.status).toBe('done');
    expect(ended.value).toBe('ended');
    expect(ended.context).toMatchObject({
      endReason: reason,
      endedBy: by,
      endedAt: event.at,
      disconnected: [],
    });
    expect(effects).toEqual([
      { type: 'xstate.cancel', params: { sendId: 'grace-11' } },
      { type: 'xstate.cancel', params: { sendId: 'grace-1' } },
      { type: 'archiveRoom', params: { roomId: 'room-7' } },
    ]);
    expect(types(ended)).toEqual([0, 0, 0, 0, 0, 0]);
    expect(roomView(ended)).toEqual({
      roomId: 'room-7',
      state: 'ended',
      matchmakerId: M,
      roomName: '周末相亲角',
      groupId: '@TGS#7',
      seats: { male: null, female: null },
      applicants: [],
      audienceCount: 0,
      endedAt: event.at,
      endReason: reason,
    });
    expect(numList(ended)).toEqual([0, 0, 0, 0]);
    // The last line-up stays in the context as the room's record.
    expect(ended.context.seats.male).toBe(A);
  });
});

describe('disconnect grace', () => {
  it('DISCONNECTED schedules GRACE_EXPIRED after graceMs with a deterministic id', () => {
    const live = play(seated(A));
    const event = disconnected(A);
    const [next, effects] = step(live, event);
    expect(effects).toEqual([
      {
        type: 'xstate.raise',
        params: {
          event: { type: 'GRACE_EXPIRED', userId: A, at: event.at + GRACE_MS },
          id: graceRaiseId(A),
          delay: GRACE_MS,
        },
      },
    ]);
    expect(graceRaiseId(A)).toBe('grace-11');
    expect(next.context.disconnected).toEqual([A]);
    expect(userTypeIn(next, A)).toBe(3);
  });

  it('RECONNECTED cancels it', () => {
    const [next, effects] = step(play([disconnected(M)]), reconnected(M));
    expect(effects).toEqual([{ type: 'xstate.cancel', params: { sendId: 'grace-1' } }]);
    expect(next.context.disconnected).toEqual([]);
  });

  it('GRACE_EXPIRED for the matchmaker ends the room (matchmaker_left) without cancelling his own job', () => {
    const live = play([...seated(C), disconnected(C), disconnected(M)]);
    const event = graceExpired(M);
    const [ended, effects] = step(live, event);
    expect(ended.status).toBe('done');
    expect(ended.context).toMatchObject({
      endReason: 'matchmaker_left',
      endedAt: event.at,
      disconnected: [],
    });
    expect(ended.context.endedBy).toBeUndefined();
    expect(effects).toEqual([
      { type: 'xstate.cancel', params: { sendId: 'grace-21' } },
      { type: 'archiveRoom', params: { roomId: 'room-7' } },
    ]);
  });

  it('GRACE_EXPIRED for a seat holder takes him off the mic and frees the seat', () => {
    const live = play([...seated(C), disconnected(C)]);
    const [next, effects] = step(live, graceExpired(C));
    expect(effects).toEqual([
      { type: 'seatChanged', params: { roomId: 'room-7', seat: 'female', userId: null } },
    ]);
    expect(next.context.seats.female).toBeNull();
    expect(next.context.disconnected).toEqual([]);
    expect(userTypeIn(next, C)).toBe(1);
    expect(next.value).toBe('live');
  });

  it('a disconnected seat holder who leaves the seat or the room has his grace cancelled', () => {
    const [, offMic] = step(play([...seated(A), disconnected(A)]), leaveSeat(A, M));
    expect(offMic).toEqual([
      { type: 'xstate.cancel', params: { sendId: 'grace-11' } },
      { type: 'seatChanged', params: { roomId: 'room-7', seat: 'male', userId: null } },
    ]);
    const [gone, left] = step(play([...seated(A), disconnected(A)]), leave(A));
    expect(left).toEqual(offMic);
    expect(gone.context.disconnected).toEqual([]);
  });
});

describe('views', () => {
  it('roomView and numList of a live room', () => {
    const snapshot = play([...seated(A), ...seated(C), enter(B), enter(D), apply(D), enter(31, 0)]);
    expect(roomView(snapshot)).toEqual({
      roomId: 'room-7',
      state: 'live',
      matchmakerId: M,
      roomName: '周末相亲角',
      groupId: '@TGS#7',
      seats: { male: A, female: C },
      applicants: [D],
      audienceCount: 6,
      endedAt: null,
      endReason: null,
    });
    // [men applying, men present, women applying, women present] (qlive-realtime.md §3.1): seat
    // holders count as present, the matchmaker and the member of unknown gender in none.
    expect(numList(snapshot)).toEqual([0, 2, 1, 2]);
    expect(numList(play([...seated(A), ...seated(C), enter(D), apply(D)]))).toEqual([0, 1, 1, 2]);
  });

  it('userTypeIn accepts a context as well as a snapshot', () => {
    const snapshot = play([...seated(A), enter(C), apply(C)]);
    expect(USERS.map((u) => userTypeIn(snapshot.context, u))).toEqual(types(snapshot));
    const ended = play([end(M)], snapshot);
    expect(userTypeIn(ended.context, M)).toBe(0);
  });
});

describe('persistence', () => {
  const lineUp = [...seated(A), ...seated(C), enter(B), apply(B), enter(D), disconnected(A), disconnected(M)];
  const next: RoomEvent[] = [
    accept(B),
    graceExpired(A),
    accept(B),
    reconnected(M),
    leave(D),
    disconnected(M),
    graceExpired(M),
    enter(D),
  ];

  it.each([
    ['getPersistedSnapshot', persist],
    ['snapshot.toJSON', (s: RoomSnapshot) => JSON.stringify(s)],
  ] as const)(
    'a snapshot persisted with %s and restored transitions exactly like the original',
    (_n, save) => {
      const original = play(lineUp);
      const json = save(original);
      const restored = restore(json);
      expect(restored.value).toBe('live');
      expect(restored.status).toBe('active');
      expect(restored.context).toEqual(original.context);
      let a = original;
      let b = restored;
      for (const event of next) {
        expect(b.can(event)).toBe(a.can(event));
        const [a2, effectsA] = step(a, event);
        const [b2, effectsB] = step(b, event);
        expect(effectsB).toEqual(effectsA);
        expect(persist(b2)).toBe(persist(a2));
        // Round-trip at every step, as the host does.
        a = a2;
        b = restore(persist(b2));
      }
      expect(b.status).toBe('done');
    },
  );

  it('an ended room restores as done and accepts nothing', () => {
    const restored = restore(persist(play([enter(A), end(M)])));
    expect(restored.status).toBe('done');
    expect(restored.can(enter(B))).toBe(false);
    expect(userTypeIn(restored, A)).toBe(0);
    expect(step(restored, adminEnd())[1]).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------

describe('invariants under random event sequences (fast-check)', () => {
  const men = [A, B];
  const women = [C, D];
  const unknown = [31];
  const people = [M, ...men, ...women, ...unknown, S];
  const genderOf = (u: number): Gender => (men.includes(u) ? 1 : women.includes(u) ? 2 : 0);
  const anyone = fc.constantFrom(...people);
  const member = fc.constantFrom(...people.filter((u) => u !== M));
  // `FIRE` is the host's queue delivering one of the pending delayed raises (the raised event,
  // re-stamped); `endsRoom: false` never picks the matchmaker's own grace. Stray GRACE_EXPIRED
  // events stand for late or duplicated jobs.
  type Step = Omit<RoomEvent, 'at'> | { type: 'FIRE'; pick: number; endsRoom: boolean };
  // The room's life: everything except what ends it (the matchmaker still disconnects and
  // reconnects, and stays disconnected for long stretches).
  const life: fc.Arbitrary<Step> = fc.oneof(
    {
      weight: 4,
      arbitrary: anyone.map((userId) => ({ type: 'ENTER' as const, userId, gender: genderOf(userId) })),
    },
    { weight: 1, arbitrary: anyone.map((userId) => ({ type: 'LEAVE' as const, userId })) },
    { weight: 3, arbitrary: anyone.map((userId) => ({ type: 'APPLY' as const, userId })) },
    {
      weight: 3,
      arbitrary: fc.record({ type: fc.constant('ACCEPT_SEAT' as const), userId: anyone, by: anyone }),
    },
    {
      weight: 1,
      arbitrary: fc.record({ type: fc.constant('REFUSE_SEAT' as const), userId: anyone, by: anyone }),
    },
    {
      weight: 2,
      arbitrary: fc.record({ type: fc.constant('LEAVE_SEAT' as const), userId: anyone, by: anyone }),
    },
    { weight: 1, arbitrary: fc.record({ type: fc.constant('END' as const), by: member }) },
    { weight: 1, arbitrary: member.map((userId) => ({ type: 'BAN' as const, userId })) },
    { weight: 3, arbitrary: anyone.map((userId) => ({ type: 'DISCONNECTED' as const, userId })) },
    { weight: 2, arbitrary: anyone.map((userId) => ({ type: 'RECONNECTED' as const, userId })) },
    { weight: 1, arbitrary: member.map((userId) => ({ type: 'GRACE_EXPIRED' as const, userId })) },
    { weight: 2, arbitrary: fc.nat().map((pick) => ({ type: 'FIRE' as const, pick, endsRoom: false })) },
  );
  // Then a short tail in which anything may happen, ending the room included.
  const tail: fc.Arbitrary<Step> = fc.oneof(
    { weight: 4, arbitrary: life },
    { weight: 1, arbitrary: anyone.map((userId) => ({ type: 'GRACE_EXPIRED' as const, userId })) },
    { weight: 1, arbitrary: fc.constant({ type: 'ADMIN_END' as const, by: ADMIN }) },
    { weight: 1, arbitrary: fc.record({ type: fc.constant('END' as const), by: anyone }) },
    { weight: 1, arbitrary: anyone.map((userId) => ({ type: 'BAN' as const, userId })) },
    { weight: 2, arbitrary: fc.nat().map((pick) => ({ type: 'FIRE' as const, pick, endsRoom: true })) },
  );
  const sequences = fc
    .tuple(
      fc.array(life, { minLength: 20, maxLength: 150, size: 'max' }),
      fc.array(tail, { maxLength: 10, size: 'max' }),
    )
    .map(([a, b]) => [...a, ...b]);

  function checkInvariants(snapshot: RoomSnapshot, pending: Map<string, EventOf<'GRACE_EXPIRED'>>) {
    const { members, applicants, seats, disconnected: marked, matchmakerId } = snapshot.context;
    expect(members[String(matchmakerId)]).toBeUndefined();
    if (seats.male !== null) {
      expect(seats.male).not.toBe(seats.female);
      expect(members[String(seats.male)]?.gender).toBe(1);
    }
    if (seats.female !== null) expect(members[String(seats.female)]?.gender).toBe(2);
    expect(new Set(applicants).size).toBe(applicants.length);
    for (const id of applicants) {
      expect(members[String(id)]).toBeDefined();
      expect([seats.male, seats.female]).not.toContain(id);
    }
    expect(new Set(marked).size).toBe(marked.length);
    for (const id of marked) expect([matchmakerId, seats.male, seats.female]).toContain(id);
    // The host's delayed jobs are exactly the marked users' graces (none once ended).
    expect([...pending.keys()].sort()).toEqual(marked.map(graceRaiseId).sort());
    if (snapshot.status === 'done') expect(marked).toEqual([]);
    for (const [key, member] of Object.entries(members)) expect(key).toBe(String(member.userId));
  }

  it('keeps the seats, applicants, members and grace jobs consistent', () => {
    fc.assert(
      fc.property(sequences, (events) => {
        let snapshot = start();
        const pending = new Map<string, EventOf<'GRACE_EXPIRED'>>();
        let t = input.at;
        for (const partial of events) {
          t += 1_000;
          let e: RoomEvent;
          if (partial.type === 'FIRE') {
            const due = [...pending.values()].filter((ev) => partial.endsRoom || ev.userId !== M);
            const job = due[partial.pick % Math.max(due.length, 1)];
            if (!job) continue;
            e = { ...job, at: t };
          } else {
            e = { ...partial, at: t } as RoomEvent;
          }
          // A delivered grace job is gone from the queue whether or not it still applies.
          if (e.type === 'GRACE_EXPIRED') pending.delete(graceRaiseId(e.userId));
          const can = snapshot.can(e);
          const [next, effects] = step(snapshot, e);
          if (!can) {
            expect(next).toBe(snapshot);
            expect(effects).toEqual([]);
          }
          for (const effect of effects) {
            if (effect.type === 'xstate.raise') {
              expect(effect.params.delay).toBe(GRACE_MS);
              expect(pending.has(effect.params.id)).toBe(false);
              pending.set(effect.params.id, effect.params.event);
            } else if (effect.type === 'xstate.cancel') {
              expect(pending.delete(effect.params.sendId)).toBe(true);
            }
          }
          snapshot = next;
          checkInvariants(snapshot, pending);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('room machine: what it announces (qlive-realtime.md §3, §5)', () => {
  const num = (numList: [number, number, number, number]): RoomNotice => ({
    audience: { userId: M },
    message: { content: { group_id: '@TGS#7', num_list: numList }, type: 'num' },
  });
  const reset = (userId: number, gender: number): RoomNotice => ({
    audience: { roomId: 'room-7', groupId: '@TGS#7' },
    message: {
      content: {
        content_type: 'off',
        user_id: String(userId),
        play_url: '',
        nickname: '',
        area: '',
        age: '',
        face_url: '',
        gender,
      },
      type: 'reset',
    },
  });
  const over: RoomNotice = {
    audience: { roomId: 'room-7', groupId: '@TGS#7' },
    message: { content: '', type: 'over' },
  };

  it('tells the matchmaker the counts after entering, applying, accepting, refusing and leaving the mic', () => {
    let snapshot = start();
    expect(noticesOf(snapshot, enter(A))).toEqual([num([0, 1, 0, 0])]);
    snapshot = play([enter(A), enter(C)], snapshot);
    expect(noticesOf(snapshot, apply(A))).toEqual([num([1, 1, 0, 1])]);
    snapshot = play([apply(A), apply(C)], snapshot);
    expect(noticesOf(snapshot, accept(A))).toEqual([num([0, 1, 1, 1])]);
    expect(noticesOf(snapshot, refuse(C))).toEqual([num([1, 1, 0, 1])]);
    snapshot = play([accept(A)], snapshot);
    // leave_micro sends num only, no reset (the original's rule).
    expect(noticesOf(snapshot, leaveSeat(A))).toEqual([num([0, 1, 1, 1])]);
  });

  it('leave_room by a seat holder: reset off with his id as a string and his gender, then num', () => {
    const snapshot = play([...seated(C), enter(A)]);
    expect(noticesOf(snapshot, leave(C))).toEqual([reset(C, 2), num([0, 1, 0, 0])]);
    expect(noticesOf(snapshot, leave(A))).toEqual([num([0, 0, 0, 1])]);
  });

  it('leaving for another room counts again, and never resets a seat', () => {
    const snapshot = play([...seated(A)]);
    expect(noticesOf(snapshot, { type: 'LEAVE', userId: A, entering: true, at: at() })).toEqual([
      num([0, 0, 0, 0]),
    ]);
  });

  it('logout: the host ends the room with over; a seat holder resets his seat then counts; others count', () => {
    const snapshot = play([...seated(A), enter(C)]);
    expect(noticesOf(snapshot, { type: 'LOGOUT', userId: M, at: at() })).toEqual([over]);
    const [ended] = step(snapshot, { type: 'LOGOUT', userId: M, at: at() });
    expect(ended.status).toBe('done');
    expect(ended.context.endReason).toBe('matchmaker_logout');
    expect(noticesOf(snapshot, { type: 'LOGOUT', userId: A, at: at() })).toEqual([
      reset(A, 1),
      num([0, 0, 0, 1]),
    ]);
    expect(noticesOf(snapshot, { type: 'LOGOUT', userId: C, at: at() })).toEqual([num([0, 1, 0, 0])]);
    expect(snapshot.can({ type: 'LOGOUT', userId: S, at: at() })).toBe(false);
  });

  it('members who left the IM group are out of the room; the matchmaker is told the counts, no reset', () => {
    const snapshot = play([...seated(A), enter(C), enter(D)]);
    const exited: RoomEvent = { type: 'MEMBERS_EXITED', userIds: [A, C, S, M], at: at() };
    expect(noticesOf(snapshot, exited)).toEqual([num([0, 0, 0, 1])]);
    const [after] = step(snapshot, exited);
    expect(types(after)).toEqual([5, 0, 0, 0, 1, 0]);
    expect(after.context.seats.male).toBeNull();
  });

  it('end, admin end, ban and the grace period announce nothing over IM', () => {
    const snapshot = play([...seated(A)]);
    expect(noticesOf(snapshot, end(M))).toEqual([]);
    expect(noticesOf(snapshot, { type: 'ADMIN_END', by: ADMIN, at: at() })).toEqual([]);
    expect(noticesOf(snapshot, { type: 'BAN', userId: A, by: ADMIN, at: at() })).toEqual([]);
  });

  it('takes the IM group it is given, and its next notices name it', () => {
    const [snapshot] = step(start(), { type: 'GROUP_ASSIGNED', groupId: '@TGS#new', at: at() });
    expect(snapshot.context.groupId).toBe('@TGS#new');
    const [notice] = noticesOf(snapshot, enter(A));
    expect(notice?.message.content).toEqual({ group_id: '@TGS#new', num_list: [0, 1, 0, 0] });
  });
});

describe('room machine: what our websocket clients are told (roomUpdates)', () => {
  const ROOM = { roomId: 'room-7', groupId: '@TGS#7' };
  /** The updates of one event, with the view as the host would give it. */
  function updatesOf(snapshot: RoomSnapshot, event: RoomEvent) {
    const [next] = transition(roomMachine, snapshot, event);
    const updates = roomUpdates({
      event,
      context: next.context,
      view: roomView(next),
      version: 5,
      created: false,
      final: next.status === 'done',
    });
    return { next, updates };
  }
  const viewUpdate = (next: RoomSnapshot, event: string) => ({
    audience: ROOM,
    event: 'room:update',
    payload: { ...roomView(next), liveId: Number.NaN, version: 5, event },
    latest: true,
  });

  it('the matchmaker joins her room when it opens, and hears of it', () => {
    const snapshot = start();
    const updates = roomUpdates({
      event: { type: 'xstate.init' },
      context: snapshot.context,
      view: roomView(snapshot),
      version: 1,
      created: true,
      final: false,
    });
    expect(updates[0]).toEqual({ audience: ROOM, join: [M] });
    expect(updates[1]).toMatchObject({ event: 'room:update', payload: { version: 1, event: 'xstate.init' } });
  });

  it('a newcomer joins before the view goes out, so he hears of his own entering', () => {
    const { next, updates } = updatesOf(start(), enter(A));
    expect(updates).toEqual([{ audience: ROOM, join: [A] }, viewUpdate(next, 'ENTER')]);
  });

  it('whoever is out of the room leaves its audience after hearing of it: leave, logout, ban, IM exit', () => {
    const snapshot = play([...seated(A), enter(B), enter(C), enter(D)]);
    for (const [event, gone] of [
      [leave(A), [A]],
      [{ type: 'LOGOUT', userId: B, at: at() }, [B]],
      [ban(C), [C]],
      // The stranger was never in: his sockets are in no part of it, so leaving changes nothing for him.
      [{ type: 'MEMBERS_EXITED', userIds: [C, D, D, S, M], at: at() }, [C, D, S]],
    ] as [RoomEvent, number[]][]) {
      const { next, updates } = updatesOf(snapshot, event);
      expect(updates).toEqual([viewUpdate(next, event.type), { audience: ROOM, leave: gone }]);
    }
  });

  it('everyone leaves once the room has ended; a seat change alone moves nobody', () => {
    const snapshot = play([...seated(A)]);
    const ended = updatesOf(snapshot, end(M));
    expect(ended.updates).toEqual([viewUpdate(ended.next, 'END'), { audience: ROOM, leave: 'everyone' }]);
    const off = updatesOf(snapshot, leaveSeat(A));
    expect(off.updates).toEqual([viewUpdate(off.next, 'LEAVE_SEAT')]);
  });
});

describe('room machine: refusals the host reports', () => {
  it('explains who may not act and what is not possible now, as the client is told', () => {
    const snapshot = play([enter(A), enter(B), apply(A), apply(B), accept(A), enter(C)]);
    expect(refusalOf(snapshot, accept(B, C))).toEqual({
      kind: 'forbidden',
      message: 'only the applicant or the room’s matchmaker may do this',
    });
    expect(refusalOf(snapshot, accept(B, M))).toEqual({
      kind: 'conflict',
      message: 'the male seat is taken',
      reason: 'seat_taken',
    });
    expect(refusalOf(snapshot, refuse(C, M)).message).toBe(
      'user 21 has not applied for the mic in live room room-7',
    );
    expect(refusalOf(snapshot, leaveSeat(A, C)).kind).toBe('forbidden');
    expect(refusalOf(snapshot, end(A))).toEqual({
      kind: 'forbidden',
      message: 'only the room’s matchmaker may end the live',
    });
    expect(refusalOf(snapshot, apply(B)).message).toBe('you have already applied for the mic');
    expect(refusalOf(snapshot, enter(31, 0)).kind).toBe('conflict');
    const unknownGender = play([enter(31, 0)], snapshot);
    expect(refusalOf(unknownGender, apply(31))).toMatchObject({ kind: 'bad_request', field: 'gender' });
    expect(refusalOf(snapshot, leave(M)).message).toBe(
      'the matchmaker does not leave her room: end it with live_end',
    );
    const [ended] = step(snapshot, end(M));
    expect(refusalOf(ended, apply(C))).toEqual({ kind: 'conflict', message: 'live room room-7 has ended' });
  });

  it('names every guard, so the state chart shows the rules', () => {
    const guards = Object.values(roomMachine.root.states)
      .flatMap((state) => Object.values(state.on).flat())
      .map((transition) => transition.guard)
      .filter((guard) => guard !== undefined);
    expect(guards.length).toBeGreaterThan(10);
    for (const guard of guards)
      expect(typeof guard === 'string' || typeof (guard as { type?: unknown }).type === 'string').toBe(true);
  });
});
