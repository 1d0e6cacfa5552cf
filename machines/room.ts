/**
 * One QLive live room (直播间) as a pure XState machine: `live` → `ended` (final).
 *
 * The host never keeps an actor alive. It runs this machine only through xstate's pure
 * `initialTransition(roomMachine, input)` / `transition(roomMachine, snapshot, event)`, saves the
 * snapshot, and then carries out the returned actions itself (each is `{ type, params }`; ignore
 * the `info` and `exec` fields, they are xstate internals and not serialisable):
 *
 * - `seatChanged {roomId, seat: 'male' | 'female', userId: number | null}` — a mic seat changed
 *   hands (taken, or freed when `userId` is null): push the new stream URLs / room view.
 * - `announce {audience, message}` — what the transition tells the matchmaker (`num`) or the whole
 *   room (`reset` off, `over`): QLive's IM messages, delivered by every notice channel as they are
 *   (a message notice, machines/notices.ts).
 * - `archiveRoom {roomId}` — the room has ended: write its record and history to Postgres.
 * - `xstate.raise` with a numeric `params.delay` — add a delayed job that sends `params.event`
 *   back after `params.delay` ms. `params.id` is `grace-<userId>`: deterministic per room, so
 *   the host namespaces it with the instance (e.g. `room-<roomId>-grace-<userId>`; no `:`). The
 *   same id comes back after every reconnect + disconnect, so the host must really remove the
 *   job on cancel and not keep finished jobs under that id (BullMQ ignores `add` of a known id).
 * - `xstate.cancel` — remove the delayed job whose id is `params.sendId`.
 *
 * What our websocket clients are told of each transition (the room's view as `room:update`, who
 * is in the room's audience) is `roomUpdates(transition)`, at the end of this file.
 *
 * Every room rule (who may enter, apply, take, refuse or leave a seat, end the room) is a named
 * guard in `setup()`, and what each transition does a named action; `refusalOf` explains to the
 * host why an event was not taken, so the host only sends events and reports the refusal.
 *
 * Every event carries `at` (epoch ms, stamped by the host) so the machine never reads a clock.
 * An event that does not apply (a stranger leaving, a taken seat, anything after `ended`, a late
 * or duplicated grace job) is ignored: `snapshot.can(event)` is false, `transition()` returns the
 * very same snapshot and no actions, and the host answers the client with an error.
 *
 * Who is who: the matchmaker (红娘, user_type 5) owns the room and is never in `members`.
 * Everybody else who entered is a member: audience (1), applied for a mic (2), or on the male (3)
 * or female (4) seat. Disconnects only matter for the matchmaker and the two seat holders; their
 * grace timer is the `GRACE_EXPIRED` raise. Whenever a user stops being the matchmaker or a seat
 * holder (leaves, is banned, goes off the mic, the room ends) his pending grace is cancelled.
 */
import { enqueueActions, type SnapshotFrom, setup } from 'xstate';
import {
  isOwnEvent,
  type RoomAudience,
  type TransitionFacts,
  type UpdateNotice,
  type UserAudience,
} from './notices.js';

export type Gender = 0 | 1 | 2;
export type SeatName = 'male' | 'female';
export type RoomEndReason =
  | 'matchmaker_ended'
  | 'matchmaker_left'
  | 'matchmaker_logout'
  | 'admin'
  | 'banned'
  /** Never chosen by the machine: the server closed a room whose machine Redis lost (src/rooms/lost-rooms.ts). */
  | 'state_lost';
/** QLive `user_type`: 0 none, 1 audience, 2 applied, 3 man on mic, 4 woman on mic, 5 matchmaker. */
export type UserType = 0 | 1 | 2 | 3 | 4 | 5;

export interface RoomInput {
  roomId: string;
  matchmakerId: number;
  roomName: string;
  /** Tencent IM group of the room. */
  groupId: string;
  /** How long the matchmaker or a seat holder may stay disconnected (ms). */
  graceMs: number;
  /** Epoch ms when the room was created. */
  at: number;
}

export interface RoomMember {
  userId: number;
  /** 1 man, 2 woman, 0 unknown (cannot apply for a mic). */
  gender: Gender;
  joinedAt: number;
}

export interface RoomContext extends RoomInput {
  /** Everyone in the room except the matchmaker, keyed by `String(userId)`. */
  members: Record<string, RoomMember>;
  /** Members who applied for a mic and are not seated, in order of application. */
  applicants: number[];
  seats: Record<SeatName, number | null>;
  /** The matchmaker and seat holders whose sockets all dropped; each has a pending grace raise. */
  disconnected: number[];
  endedAt?: number;
  endReason?: RoomEndReason;
  /** Who ended it: the matchmaker (END), the admin (ADMIN_END, BAN's `by`); absent on grace expiry. */
  endedBy?: number;
}

export type RoomEvent =
  | { type: 'ENTER'; userId: number; gender: Gender; at: number }
  /** `leave_room`; `entering` another room (get_playurl elsewhere): the old room only counts again. */
  | { type: 'LEAVE'; userId: number; entering?: boolean; at: number }
  /** The logout procedure (qlive_user/logout/ or IM's Logout callback). */
  | { type: 'LOGOUT'; userId: number; at: number }
  /** IM `Group.CallbackAfterMemberExit`: these users left the room's IM group. */
  | { type: 'MEMBERS_EXITED'; userIds: number[]; at: number }
  /** The room's IM group was created (or re-created after Tencent lost it). */
  | { type: 'GROUP_ASSIGNED'; groupId: string; at: number }
  | { type: 'APPLY'; userId: number; at: number }
  /** `by`: the applicant himself, or the room's matchmaker acting for him. */
  | { type: 'ACCEPT_SEAT'; userId: number; by: number; at: number }
  | { type: 'REFUSE_SEAT'; userId: number; by: number; at: number }
  | { type: 'LEAVE_SEAT'; userId: number; by: number; at: number }
  | { type: 'END'; by: number; at: number }
  | { type: 'ADMIN_END'; by: number; at: number }
  | { type: 'BAN'; userId: number; by?: number; at: number }
  | { type: 'DISCONNECTED'; userId: number; at: number }
  | { type: 'RECONNECTED'; userId: number; at: number }
  | { type: 'GRACE_EXPIRED'; userId: number; at: number };

export type EventOf<T extends RoomEvent['type']> = Extract<RoomEvent, { type: T }>;

export interface SeatChangedParams {
  roomId: string;
  seat: SeatName;
  userId: number | null;
}

/**
 * What the room announces, and to whom: the matchmaker alone, or everyone in the room (its IM
 * group). The payloads are QLive's IM messages (qlive-realtime.md §3) exactly: `num` to the
 * matchmaker, `reset` (a seat was left) and `over` (the host logged out) to the room. Delivery
 * channels (Tencent IM, Socket.IO) carry them as they are and know nothing of rooms.
 */
export type RoomNotice =
  | { audience: UserAudience; message: NumMessage }
  | { audience: RoomAudience; message: ResetMessage | OverMessage };

export interface NumMessage {
  content: { group_id: string; num_list: [number, number, number, number] };
  type: 'num';
}

export interface ResetMessage {
  content: {
    content_type: 'off';
    user_id: string;
    play_url: '';
    nickname: '';
    area: '';
    age: '';
    face_url: '';
    gender: number;
  };
  type: 'reset';
}

export interface OverMessage {
  content: '';
  type: 'over';
}

/** Id of the delayed `GRACE_EXPIRED` raise for a user (unique within one room). */
export function graceRaiseId(userId: number): string {
  return `grace-${userId}`;
}

// ---------------------------------------------------------------------------------------------
// Pure questions about a context

function memberOf(context: RoomContext, userId: number): RoomMember | undefined {
  return context.members[String(userId)];
}

export function seatOf(context: Pick<RoomContext, 'seats'>, userId: number): SeatName | null {
  if (context.seats.male === userId) return 'male';
  if (context.seats.female === userId) return 'female';
  return null;
}

function seatForGender(gender: Gender): SeatName | null {
  if (gender === 1) return 'male';
  if (gender === 2) return 'female';
  return null;
}

function isAudience(context: RoomContext, userId: number): boolean {
  return (
    memberOf(context, userId) !== undefined &&
    seatOf(context, userId) === null &&
    !context.applicants.includes(userId)
  );
}

function isApplicant(context: RoomContext, userId: number): boolean {
  return context.applicants.includes(userId);
}

/** The seat an applicant would take, if it is free. */
function freeSeatFor(context: RoomContext, userId: number): SeatName | null {
  const member = memberOf(context, userId);
  if (!member || !isApplicant(context, userId)) return null;
  const seat = seatForGender(member.gender);
  return seat !== null && context.seats[seat] === null ? seat : null;
}

function isMarked(context: RoomContext, userId: number): boolean {
  return context.disconnected.includes(userId);
}

// ---------------------------------------------------------------------------------------------
// Plans: what one event does to the context, and which effects it names

interface Plan {
  patch: Partial<RoomContext>;
  seatChanges?: SeatChangedParams[];
  /** Delayed raises to schedule (only GRACE_EXPIRED). */
  schedule?: { event: EventOf<'GRACE_EXPIRED'>; id: string; delay: number }[];
  /** Raise ids to cancel. */
  cancel?: string[];
  /** What the transition announces, computed from the context after the patch. */
  notices?: ((after: RoomContext) => RoomNotice)[];
}

function withoutMark(context: RoomContext, userId: number): Pick<Plan, 'patch' | 'cancel'> {
  if (!isMarked(context, userId)) return { patch: {} };
  return {
    patch: { disconnected: context.disconnected.filter((id) => id !== userId) },
    cancel: [graceRaiseId(userId)],
  };
}

/** A seat holder goes back to the audience. `graceFired`: his grace job is the trigger, not pending. */
function offSeat(context: RoomContext, userId: number, graceFired = false): Plan {
  const seat = seatOf(context, userId);
  if (seat === null) return { patch: {} };
  const unmark = withoutMark(context, userId);
  return {
    patch: { ...unmark.patch, seats: { ...context.seats, [seat]: null } },
    seatChanges: [{ roomId: context.roomId, seat, userId: null }],
    cancel: graceFired ? [] : unmark.cancel,
  };
}

/** A member leaves the room (or is banned from it): off the mic, out of applicants and members. */
function removeMember(context: RoomContext, userId: number): Plan {
  const off = offSeat(context, userId);
  const { [String(userId)]: _gone, ...members } = context.members;
  return {
    ...off,
    patch: { ...off.patch, members, applicants: context.applicants.filter((id) => id !== userId) },
  };
}

/** `num` to the matchmaker: the room's counters after the transition. */
const announceCounts = (after: RoomContext): RoomNotice => ({
  audience: { userId: after.matchmakerId },
  message: { content: { group_id: after.groupId, num_list: countsOf(after) }, type: 'num' },
});

/** `reset` off to the room: the seat `userId` held is free (only `user_id` matters with "off"). */
const announceSeatLeft =
  (userId: number, gender: Gender) =>
  (after: RoomContext): RoomNotice => ({
    audience: { roomId: after.roomId, groupId: after.groupId },
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

/** `over` to the room: the host is gone. */
const announceOver = (after: RoomContext): RoomNotice => ({
  audience: { roomId: after.roomId, groupId: after.groupId },
  message: { content: '', type: 'over' },
});

/** A member leaves by leave_room or logout: `reset` off first when he held a seat, then `num`. */
function leavesAnnounced(context: RoomContext, userId: number): Plan {
  const plan = removeMember(context, userId);
  const seated = seatOf(context, userId) !== null;
  const gender = memberOf(context, userId)?.gender ?? 0;
  return { ...plan, notices: [...(seated ? [announceSeatLeft(userId, gender)] : []), announceCounts] };
}

function ending(reason: RoomEndReason, endedBy?: number): Plan {
  return { patch: endedBy === undefined ? { endReason: reason } : { endReason: reason, endedBy } };
}

/** The named effects, as the host receives them in `transition()`'s actions. */
export type RoomAction =
  | { type: 'seatChanged'; params: SeatChangedParams }
  | { type: 'announce'; params: RoomNotice }
  | { type: 'archiveRoom'; params: { roomId: string } };

/** A plan for one event type; any other event plans nothing (named actions see every event type). */
function forEvent<T extends RoomEvent['type']>(
  type: T,
  plan: (context: RoomContext, event: EventOf<T>) => Plan,
) {
  return (context: RoomContext, event: RoomEvent): Plan =>
    event.type === type ? plan(context, event as EventOf<T>) : { patch: {} };
}

/** The transition action that carries out a plan computed from the context and the event. */
function run(plan: (context: RoomContext, event: RoomEvent) => Plan) {
  return enqueueActions<RoomContext, RoomEvent, undefined, RoomEvent, never, RoomAction, never, never>(
    ({ context, event, enqueue }) => {
      const { patch, seatChanges = [], schedule = [], cancel = [], notices = [] } = plan(context, event);
      enqueue.assign(patch);
      for (const id of cancel) enqueue.cancel(id);
      for (const raise of schedule) enqueue.raise(raise.event, { id: raise.id, delay: raise.delay });
      for (const params of seatChanges) enqueue({ type: 'seatChanged', params });
      const after = { ...context, ...patch };
      for (const notice of notices) enqueue({ type: 'announce', params: notice(after) });
    },
  );
}

/** The user an event is about (null for END, ADMIN_END, MEMBERS_EXITED, GROUP_ASSIGNED). */
function subjectOf(event: RoomEvent): number | null {
  return 'userId' in event ? event.userId : null;
}

/** Who sent an event on whose behalf: `by` where the event has it, else the subject himself. */
function senderOf(event: RoomEvent): number | null {
  return 'by' in event && typeof event.by === 'number' ? event.by : subjectOf(event);
}

// ---------------------------------------------------------------------------------------------
// The rules: every guard of the machine, by name (the admin panel's chart shows these names)

const roomGuards = {
  /** ENTER: someone not in the room yet, and not its matchmaker. */
  isNewcomer: (context: RoomContext, event: RoomEvent) => {
    const userId = subjectOf(event);
    return userId !== null && userId !== context.matchmakerId && memberOf(context, userId) === undefined;
  },
  isMember: (context: RoomContext, event: RoomEvent) => {
    const userId = subjectOf(event);
    return userId !== null && memberOf(context, userId) !== undefined;
  },
  isMatchmaker: (context: RoomContext, event: RoomEvent) => subjectOf(event) === context.matchmakerId,
  /** APPLY: audience (not applied, not seated) of a gender that has a seat. */
  mayApply: (context: RoomContext, event: RoomEvent) => {
    const userId = subjectOf(event);
    return (
      userId !== null &&
      isAudience(context, userId) &&
      seatForGender(memberOf(context, userId)?.gender ?? 0) !== null
    );
  },
  /** ACCEPT_SEAT: an applicant whose seat is free, by himself or the matchmaker. */
  mayTakeSeat: (context: RoomContext, event: RoomEvent) => {
    const userId = subjectOf(event);
    return userId !== null && actsForApplicant(context, event) && freeSeatFor(context, userId) !== null;
  },
  /** REFUSE_SEAT: an applicant, by himself or the matchmaker. */
  mayRefuseSeat: (context: RoomContext, event: RoomEvent) => {
    const userId = subjectOf(event);
    return userId !== null && actsForApplicant(context, event) && isApplicant(context, userId);
  },
  /** LEAVE_SEAT: a seat holder, off the mic by himself or by the matchmaker. */
  mayLeaveSeat: (context: RoomContext, event: RoomEvent) => {
    const userId = subjectOf(event);
    const by = senderOf(event);
    return (
      userId !== null && seatOf(context, userId) !== null && (by === userId || by === context.matchmakerId)
    );
  },
  /** END: only the room's matchmaker ends her live. */
  byMatchmaker: (context: RoomContext, event: RoomEvent) => senderOf(event) === context.matchmakerId,
  isNewGroup: (context: RoomContext, event: RoomEvent) =>
    event.type === 'GROUP_ASSIGNED' && event.groupId !== '' && event.groupId !== context.groupId,
  /** DISCONNECTED: only the matchmaker and seat holders have a grace period, one at a time. */
  startsGrace: (context: RoomContext, event: RoomEvent) => {
    const userId = subjectOf(event);
    return (
      userId !== null &&
      (userId === context.matchmakerId || seatOf(context, userId) !== null) &&
      !isMarked(context, userId)
    );
  },
  isInGrace: (context: RoomContext, event: RoomEvent) => {
    const userId = subjectOf(event);
    return userId !== null && isMarked(context, userId);
  },
  matchmakerGraceExpired: (context: RoomContext, event: RoomEvent) =>
    subjectOf(event) === context.matchmakerId && isMarked(context, context.matchmakerId),
  seatHolderGraceExpired: (context: RoomContext, event: RoomEvent) => {
    const userId = subjectOf(event);
    return userId !== null && seatOf(context, userId) !== null && isMarked(context, userId);
  },
};

function actsForApplicant(context: RoomContext, event: RoomEvent): boolean {
  const by = senderOf(event);
  return by === subjectOf(event) || by === context.matchmakerId;
}

type RoomGuard = keyof typeof roomGuards;
const guard =
  (name: RoomGuard) =>
  ({ context, event }: { context: RoomContext; event: RoomEvent }) =>
    roomGuards[name](context, event);

// ---------------------------------------------------------------------------------------------
// What each transition does

const admit = forEvent('ENTER', (context, event) => ({
  patch: {
    members: {
      ...context.members,
      [String(event.userId)]: { userId: event.userId, gender: event.gender, joinedAt: event.at },
    },
  },
  notices: [announceCounts],
}));

const leave = forEvent('LEAVE', (context, event) =>
  event.entering
    ? { ...removeMember(context, event.userId), notices: [announceCounts] }
    : leavesAnnounced(context, event.userId),
);

const logOutMember = forEvent('LOGOUT', (context, event) => leavesAnnounced(context, event.userId));

const takeOutExited = forEvent('MEMBERS_EXITED', (context, event) => {
  // The original only zeroes the members' state here: no seat is announced free.
  let after = context;
  const cancel: string[] = [];
  const seatChanges: SeatChangedParams[] = [];
  for (const userId of new Set(event.userIds)) {
    if (memberOf(after, userId) === undefined) continue;
    const plan = removeMember(after, userId);
    after = { ...after, ...plan.patch };
    cancel.push(...(plan.cancel ?? []));
    seatChanges.push(...(plan.seatChanges ?? []));
  }
  const { members, applicants, seats, disconnected } = after;
  return {
    patch: { members, applicants, seats, disconnected },
    cancel,
    seatChanges,
    notices: [announceCounts],
  };
});

const applyForSeat = forEvent('APPLY', (context, event) => ({
  patch: { applicants: [...context.applicants, event.userId] },
  notices: [announceCounts],
}));

const takeSeat = forEvent('ACCEPT_SEAT', (context, event) => {
  const seat = freeSeatFor(context, event.userId);
  if (seat === null) return { patch: {} }; // the guard ruled this out
  return {
    patch: {
      seats: { ...context.seats, [seat]: event.userId },
      applicants: context.applicants.filter((id) => id !== event.userId),
    },
    seatChanges: [{ roomId: context.roomId, seat, userId: event.userId }],
    notices: [announceCounts],
  };
});

const refuseSeat = forEvent('REFUSE_SEAT', (context, event) => ({
  patch: { applicants: context.applicants.filter((id) => id !== event.userId) },
  notices: [announceCounts],
}));

const leaveSeat = forEvent('LEAVE_SEAT', (context, event) => ({
  ...offSeat(context, event.userId),
  notices: [announceCounts],
}));

const banMember = forEvent('BAN', (context, event) => removeMember(context, event.userId));

const assignGroup = forEvent('GROUP_ASSIGNED', (_, event) => ({ patch: { groupId: event.groupId } }));

const startGrace = forEvent('DISCONNECTED', (context, event) => ({
  patch: { disconnected: [...context.disconnected, event.userId] },
  schedule: [
    {
      event: { type: 'GRACE_EXPIRED', userId: event.userId, at: event.at + context.graceMs },
      id: graceRaiseId(event.userId),
      delay: context.graceMs,
    },
  ],
}));

const endGrace = forEvent('RECONNECTED', (context, event) => withoutMark(context, event.userId));

// His own grace job is what fired: unmark him so `ended` does not cancel it again.
const matchmakerLeft = forEvent('GRACE_EXPIRED', (context, event) => ({
  patch: {
    ...ending('matchmaker_left').patch,
    disconnected: context.disconnected.filter((id) => id !== event.userId),
  },
}));

const seatHolderLeft = forEvent('GRACE_EXPIRED', (context, event) => offSeat(context, event.userId, true));

function endedBy(reason: RoomEndReason, event: RoomEvent): Plan {
  const by = 'by' in event && typeof event.by === 'number' ? event.by : undefined;
  return ending(reason, event.type === 'LOGOUT' ? event.userId : by);
}

// ---------------------------------------------------------------------------------------------
// The machine

export const roomMachine = setup({
  types: {
    input: {} as RoomInput,
    context: {} as RoomContext,
    events: {} as RoomEvent,
  },
  guards: {
    isNewcomer: guard('isNewcomer'),
    isMember: guard('isMember'),
    isMatchmaker: guard('isMatchmaker'),
    mayApply: guard('mayApply'),
    mayTakeSeat: guard('mayTakeSeat'),
    mayRefuseSeat: guard('mayRefuseSeat'),
    mayLeaveSeat: guard('mayLeaveSeat'),
    byMatchmaker: guard('byMatchmaker'),
    isNewGroup: guard('isNewGroup'),
    startsGrace: guard('startsGrace'),
    isInGrace: guard('isInGrace'),
    matchmakerGraceExpired: guard('matchmakerGraceExpired'),
    seatHolderGraceExpired: guard('seatHolderGraceExpired'),
  },
  actions: {
    // Effects, carried out by the host from transition()'s result; nothing runs here.
    seatChanged: (_, _params: SeatChangedParams) => {},
    announce: (_, _params: RoomNotice) => {},
    archiveRoom: (_, _params: { roomId: string }) => {},

    admit: run(admit),
    leave: run(leave),
    logOutMember: run(logOutMember),
    takeOutExited: run(takeOutExited),
    applyForSeat: run(applyForSeat),
    takeSeat: run(takeSeat),
    refuseSeat: run(refuseSeat),
    leaveSeat: run(leaveSeat),
    banMember: run(banMember),
    assignGroup: run(assignGroup),
    startGrace: run(startGrace),
    endGrace: run(endGrace),
    matchmakerLeft: run(matchmakerLeft),
    seatHolderLeft: run(seatHolderLeft),
    endByMatchmaker: run((_, event) => endedBy('matchmaker_ended', event)),
    endByAdmin: run((_, event) => endedBy('admin', event)),
    endByBan: run((_, event) => endedBy('banned', event)),
    endByLogout: run((_, event) => ({ ...endedBy('matchmaker_logout', event), notices: [announceOver] })),
    closeRoom: run((context, event) => ({
      patch: { endedAt: event.at, disconnected: [] },
      cancel: context.disconnected.map(graceRaiseId),
    })),
  },
}).createMachine({
  id: 'room',
  context: ({ input }) => ({
    ...input,
    members: {},
    applicants: [],
    seats: { male: null, female: null },
    disconnected: [],
  }),
  initial: 'live',
  states: {
    live: {
      on: {
        ENTER: { guard: 'isNewcomer', actions: 'admit' },
        LEAVE: { guard: 'isMember', actions: 'leave' },
        LOGOUT: [
          { guard: 'isMatchmaker', target: 'ended', actions: 'endByLogout' },
          { guard: 'isMember', actions: 'logOutMember' },
        ],
        MEMBERS_EXITED: { actions: 'takeOutExited' },
        GROUP_ASSIGNED: { guard: 'isNewGroup', actions: 'assignGroup' },
        APPLY: { guard: 'mayApply', actions: 'applyForSeat' },
        ACCEPT_SEAT: { guard: 'mayTakeSeat', actions: 'takeSeat' },
        REFUSE_SEAT: { guard: 'mayRefuseSeat', actions: 'refuseSeat' },
        LEAVE_SEAT: { guard: 'mayLeaveSeat', actions: 'leaveSeat' },
        END: { guard: 'byMatchmaker', target: 'ended', actions: 'endByMatchmaker' },
        ADMIN_END: { target: 'ended', actions: 'endByAdmin' },
        BAN: [
          { guard: 'isMatchmaker', target: 'ended', actions: 'endByBan' },
          { guard: 'isMember', actions: 'banMember' },
        ],
        DISCONNECTED: { guard: 'startsGrace', actions: 'startGrace' },
        RECONNECTED: { guard: 'isInGrace', actions: 'endGrace' },
        GRACE_EXPIRED: [
          { guard: 'matchmakerGraceExpired', target: 'ended', actions: 'matchmakerLeft' },
          { guard: 'seatHolderGraceExpired', actions: 'seatHolderLeft' },
        ],
      },
    },
    ended: {
      type: 'final',
      // The room's last state is kept as its record (who sat where); views report it as empty.
      entry: ['closeRoom', { type: 'archiveRoom', params: ({ context }) => ({ roomId: context.roomId }) }],
    },
  },
});

// ---------------------------------------------------------------------------------------------
// Refusals: why the machine did not take an event, as the host reports it to the client

export interface RoomRefusal {
  /** forbidden: not this sender's to do; conflict: not now; bad_request: the sender must fix something. */
  kind: 'forbidden' | 'conflict' | 'bad_request';
  message: string;
  field?: string;
  /** seat_taken: the applicant's seat is held by someone else (QLive answers it as 抢麦失败). */
  reason?: 'seat_taken';
}

/** Why `event` does not apply to the room as `snapshot` has it (call when `snapshot.can(event)` is false). */
export function refusalOf(snapshot: RoomSnapshot, event: RoomEvent): RoomRefusal {
  const context = snapshot.context;
  const roomId = context.roomId;
  const conflict = (message: string): RoomRefusal => ({ kind: 'conflict', message });
  if (isEnded(snapshot)) return conflict(`live room ${roomId} has ended`);
  const type = (userId: number) => userTypeIn(context, userId);
  switch (event.type) {
    case 'APPLY': {
      const current = type(event.userId);
      if (current === 0) return conflict(`you are not in live room ${roomId}; enter it first (get_playurl)`);
      if (current === 2) return conflict('you have already applied for the mic');
      if (current === 3 || current === 4) return conflict('you are already on the mic');
      if (current === 5) return conflict('the matchmaker does not apply for the mic');
      return {
        kind: 'bad_request',
        message: 'set your gender (1 man, 2 woman) with update_userinfo before applying',
        field: 'gender',
      };
    }
    case 'ACCEPT_SEAT':
    case 'REFUSE_SEAT': {
      if (!actsForApplicant(context, event))
        return { kind: 'forbidden', message: 'only the applicant or the room’s matchmaker may do this' };
      const current = type(event.userId);
      if (event.type === 'ACCEPT_SEAT' && (current === 3 || current === 4))
        return conflict('already on the mic');
      if (current !== 2)
        return conflict(`user ${event.userId} has not applied for the mic in live room ${roomId}`);
      const gender = memberOf(context, event.userId)?.gender;
      return { ...conflict(`the ${gender === 2 ? 'female' : 'male'} seat is taken`), reason: 'seat_taken' };
    }
    case 'LEAVE_SEAT':
      if (event.by !== event.userId && event.by !== context.matchmakerId)
        return {
          kind: 'forbidden',
          message: 'only the seat holder or the room’s matchmaker may take him off the mic',
        };
      return conflict(`user ${event.userId} is not on the mic in live room ${roomId}`);
    case 'END':
      return { kind: 'forbidden', message: 'only the room’s matchmaker may end the live' };
    case 'LEAVE':
      if (event.userId === context.matchmakerId)
        return conflict('the matchmaker does not leave her room: end it with live_end');
      return conflict(`you are not in live room ${roomId}`);
    default:
      return conflict(`live room ${roomId} does not take ${event.type} now`);
  }
}

export type RoomSnapshot = SnapshotFrom<typeof roomMachine>;

/**
 * Every effect `transition(roomMachine, ...)` can name, as plain JSON. (xstate's own
 * `ExecutableActionsFrom` type leaves out `xstate.cancel`.) This machine raises only with a delay.
 */
export type RoomEffect =
  | RoomAction
  | { type: 'xstate.raise'; params: { event: EventOf<'GRACE_EXPIRED'>; id: string; delay: number } }
  | { type: 'xstate.cancel'; params: { sendId: string } };

/** The actions returned by `transition()` / `initialTransition()` as JSON-safe `{type, params}`. */
export function roomEffects(actions: readonly { type: string; params?: unknown }[]): RoomEffect[] {
  return actions.map(({ type, params }) => ({ type, params }) as RoomEffect);
}

// ---------------------------------------------------------------------------------------------
// Views

function isEnded(source: RoomSnapshot | RoomContext): boolean {
  if ('context' in source) return source.status === 'done' || source.context.endedAt !== undefined;
  return source.endedAt !== undefined;
}

function contextOf(source: RoomSnapshot | RoomContext): RoomContext {
  return 'context' in source ? source.context : source;
}

/** QLive `user_type` of a user in this room; 0 for everyone once the room has ended. */
export function userTypeIn(source: RoomSnapshot | RoomContext, userId: number): UserType {
  if (isEnded(source)) return 0;
  const context = contextOf(source);
  if (userId === context.matchmakerId) return 5;
  const seat = seatOf(context, userId);
  if (seat === 'male') return 3;
  if (seat === 'female') return 4;
  if (isApplicant(context, userId)) return 2;
  return memberOf(context, userId) ? 1 : 0;
}

export interface RoomView {
  roomId: string;
  state: 'live' | 'ended';
  matchmakerId: number;
  roomName: string;
  groupId: string;
  seats: Record<SeatName, number | null>;
  applicants: number[];
  /** Everyone in the room: members plus the matchmaker (`audience_count` of get_livelist). */
  audienceCount: number;
  endedAt: number | null;
  endReason: RoomEndReason | null;
}

/**
 * The room's public view (pushed to clients and the admin panel). An ended room is empty: no
 * seats, no applicants, audienceCount 0; its last line-up stays in the snapshot's context.
 */
export function roomView(snapshot: RoomSnapshot): RoomView {
  const context = snapshot.context;
  const ended = isEnded(snapshot);
  return {
    roomId: context.roomId,
    state: ended ? 'ended' : 'live',
    matchmakerId: context.matchmakerId,
    roomName: context.roomName,
    groupId: context.groupId,
    seats: ended ? { male: null, female: null } : { ...context.seats },
    applicants: ended ? [] : [...context.applicants],
    audienceCount: ended ? 0 : Object.keys(context.members).length + 1,
    endedAt: context.endedAt ?? null,
    endReason: context.endReason ?? null,
  };
}

/**
 * `num_list` of get_playurl and of the `num` message (qlive-realtime.md §3.1):
 *
 *   [men applying, men present, women applying, women present]
 *
 * "Applying" is user_type 2; "present" is every member of that gender in the room (user_type 1 to
 * 4: the audience, applicants and whoever is on the mic), never the matchmaker. Members of unknown
 * gender are in none of the four. All zeros once the room has ended.
 */
export function numList(snapshot: RoomSnapshot): [number, number, number, number] {
  if (isEnded(snapshot)) return [0, 0, 0, 0];
  return countsOf(snapshot.context);
}

function countsOf(context: RoomContext): [number, number, number, number] {
  const members = Object.values(context.members);
  const applying = (gender: Gender) =>
    members.filter((member) => member.gender === gender && isApplicant(context, member.userId)).length;
  const present = (gender: Gender) => members.filter((member) => member.gender === gender).length;
  return [applying(1), present(1), applying(2), present(2)];
}

// ---------------------------------------------------------------------------------------------
// Updates: what our websocket clients are told of each transition (machines/notices.ts)

/** The events after which their subject is out of the room (unless it ended, when everyone is). */
const LEAVING_EVENTS: ReadonlySet<RoomEvent['type']> = new Set(['LEAVE', 'LOGOUT', 'BAN', 'MEMBERS_EXITED']);

/**
 * One transition of a room, for our websocket clients, in order: whoever came in joins the room's
 * audience first (the matchmaker when it opens, a member on ENTER), so he hears this transition
 * too; then the room's view goes to everyone in it as `room:update` `{...view, liveId, version,
 * event}` (drop a push older than the last one seen); then whoever is out of the room leaves its
 * audience (after hearing of his own leaving), or everyone does when the room has ended.
 */
export function roomUpdates<TView extends object>(
  transition: TransitionFacts<RoomContext, RoomEvent, TView>,
): UpdateNotice[] {
  const { context, event } = transition;
  const room: RoomAudience = { roomId: context.roomId, groupId: context.groupId };
  const updates: UpdateNotice[] = [];
  if (transition.created) updates.push({ audience: room, join: [context.matchmakerId] });
  if (event.type === 'ENTER') updates.push({ audience: room, join: [event.userId] });
  updates.push({
    audience: room,
    event: 'room:update',
    payload: {
      ...transition.view,
      liveId: Number(context.roomId),
      version: transition.version,
      event: event.type,
    },
    latest: true,
  });
  if (transition.final) {
    updates.push({ audience: room, leave: 'everyone' });
  } else if (isOwnEvent(event) && LEAVING_EVENTS.has(event.type)) {
    const subjects =
      event.type === 'MEMBERS_EXITED' ? event.userIds : 'userId' in event ? [event.userId] : [];
    const gone = subjects.filter((userId) => userId !== context.matchmakerId && !memberOf(context, userId));
    if (gone.length > 0) updates.push({ audience: room, leave: [...new Set(gone)] });
  }
  return updates;
}
