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
 * - `archiveRoom {roomId}` — the room has ended: write its record and history to Postgres.
 * - `xstate.raise` with a numeric `params.delay` — add a delayed job that sends `params.event`
 *   back after `params.delay` ms. `params.id` is `grace-<userId>`: deterministic per room, so
 *   the host namespaces it with the instance (e.g. `room-<roomId>-grace-<userId>`; no `:`). The
 *   same id comes back after every reconnect + disconnect, so the host must really remove the
 *   job on cancel and not keep finished jobs under that id (BullMQ ignores `add` of a known id).
 * - `xstate.cancel` — remove the delayed job whose id is `params.sendId`.
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

export type Gender = 0 | 1 | 2;
export type SeatName = 'male' | 'female';
export type RoomEndReason = 'matchmaker_ended' | 'matchmaker_left' | 'matchmaker_logout' | 'admin' | 'banned';
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
  | { type: 'ACCEPT_SEAT'; userId: number; at: number }
  | { type: 'REFUSE_SEAT'; userId: number; at: number }
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
  | { audience: { userId: number }; message: NumMessage }
  | { audience: { roomId: string; groupId: string }; message: ResetMessage | OverMessage };

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

/** The transition action that carries out a plan computed from the context and the event. */
function run<TEvent extends RoomEvent>(plan: (context: RoomContext, event: TEvent) => Plan) {
  return enqueueActions<RoomContext, TEvent, undefined, RoomEvent, never, RoomAction, never, never>(
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

// ---------------------------------------------------------------------------------------------
// The machine

export const roomMachine = setup({
  types: {
    input: {} as RoomInput,
    context: {} as RoomContext,
    events: {} as RoomEvent,
  },
  actions: {
    // Effects, carried out by the host from transition()'s result; nothing runs here.
    seatChanged: (_, _params: SeatChangedParams) => {},
    announce: (_, _params: RoomNotice) => {},
    archiveRoom: (_, _params: { roomId: string }) => {},
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
        ENTER: {
          guard: ({ context, event }) =>
            event.userId !== context.matchmakerId && memberOf(context, event.userId) === undefined,
          actions: run((context, event: EventOf<'ENTER'>) => ({
            patch: {
              members: {
                ...context.members,
                [String(event.userId)]: { userId: event.userId, gender: event.gender, joinedAt: event.at },
              },
            },
            notices: [announceCounts],
          })),
        },
        LEAVE: {
          guard: ({ context, event }) => memberOf(context, event.userId) !== undefined,
          actions: run((context, event: EventOf<'LEAVE'>) =>
            event.entering
              ? { ...removeMember(context, event.userId), notices: [announceCounts] }
              : leavesAnnounced(context, event.userId),
          ),
        },
        LOGOUT: [
          {
            guard: ({ context, event }) => event.userId === context.matchmakerId,
            target: 'ended',
            actions: run((_, event: EventOf<'LOGOUT'>) => ({
              ...ending('matchmaker_logout', event.userId),
              notices: [announceOver],
            })),
          },
          {
            guard: ({ context, event }) => memberOf(context, event.userId) !== undefined,
            actions: run((context, event: EventOf<'LOGOUT'>) => leavesAnnounced(context, event.userId)),
          },
        ],
        MEMBERS_EXITED: {
          // The original only zeroes the members' state here: no seat is announced free.
          actions: run((context, event: EventOf<'MEMBERS_EXITED'>) => {
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
          }),
        },
        GROUP_ASSIGNED: {
          guard: ({ context, event }) => event.groupId !== '' && event.groupId !== context.groupId,
          actions: run((_, event: EventOf<'GROUP_ASSIGNED'>) => ({ patch: { groupId: event.groupId } })),
        },
        APPLY: {
          guard: ({ context, event }) =>
            isAudience(context, event.userId) &&
            seatForGender(memberOf(context, event.userId)?.gender ?? 0) !== null,
          actions: run((context, event: EventOf<'APPLY'>) => ({
            patch: { applicants: [...context.applicants, event.userId] },
            notices: [announceCounts],
          })),
        },
        ACCEPT_SEAT: {
          guard: ({ context, event }) => freeSeatFor(context, event.userId) !== null,
          actions: run((context, event: EventOf<'ACCEPT_SEAT'>) => {
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
          }),
        },
        REFUSE_SEAT: {
          guard: ({ context, event }) => isApplicant(context, event.userId),
          actions: run((context, event: EventOf<'REFUSE_SEAT'>) => ({
            patch: { applicants: context.applicants.filter((id) => id !== event.userId) },
            notices: [announceCounts],
          })),
        },
        LEAVE_SEAT: {
          guard: ({ context, event }) =>
            seatOf(context, event.userId) !== null &&
            (event.by === event.userId || event.by === context.matchmakerId),
          actions: run((context, event: EventOf<'LEAVE_SEAT'>) => ({
            ...offSeat(context, event.userId),
            notices: [announceCounts],
          })),
        },
        END: {
          guard: ({ context, event }) => event.by === context.matchmakerId,
          target: 'ended',
          actions: run((_, event: EventOf<'END'>) => ending('matchmaker_ended', event.by)),
        },
        ADMIN_END: {
          target: 'ended',
          actions: run((_, event: EventOf<'ADMIN_END'>) => ending('admin', event.by)),
        },
        BAN: [
          {
            guard: ({ context, event }) => event.userId === context.matchmakerId,
            target: 'ended',
            actions: run((_, event: EventOf<'BAN'>) => ending('banned', event.by)),
          },
          {
            guard: ({ context, event }) => memberOf(context, event.userId) !== undefined,
            actions: run((context, event: EventOf<'BAN'>) => removeMember(context, event.userId)),
          },
        ],
        DISCONNECTED: {
          guard: ({ context, event }) =>
            (event.userId === context.matchmakerId || seatOf(context, event.userId) !== null) &&
            !isMarked(context, event.userId),
          actions: run((context, event: EventOf<'DISCONNECTED'>) => ({
            patch: { disconnected: [...context.disconnected, event.userId] },
            schedule: [
              {
                event: { type: 'GRACE_EXPIRED', userId: event.userId, at: event.at + context.graceMs },
                id: graceRaiseId(event.userId),
                delay: context.graceMs,
              },
            ],
          })),
        },
        RECONNECTED: {
          guard: ({ context, event }) => isMarked(context, event.userId),
          actions: run((context, event: EventOf<'RECONNECTED'>) => withoutMark(context, event.userId)),
        },
        GRACE_EXPIRED: [
          {
            guard: ({ context, event }) =>
              event.userId === context.matchmakerId && isMarked(context, event.userId),
            target: 'ended',
            // His own grace job is what fired: unmark him so `ended` does not cancel it again.
            actions: run((context, event: EventOf<'GRACE_EXPIRED'>) => ({
              patch: {
                ...ending('matchmaker_left').patch,
                disconnected: context.disconnected.filter((id) => id !== event.userId),
              },
            })),
          },
          {
            guard: ({ context, event }) =>
              seatOf(context, event.userId) !== null && isMarked(context, event.userId),
            actions: run((context, event: EventOf<'GRACE_EXPIRED'>) => offSeat(context, event.userId, true)),
          },
        ],
      },
    },
    ended: {
      type: 'final',
      // The room's last state is kept as its record (who sat where); views report it as empty.
      entry: [
        run((context, event) => ({
          patch: { endedAt: event.at, disconnected: [] },
          cancel: context.disconnected.map(graceRaiseId),
        })),
        { type: 'archiveRoom', params: ({ context }) => ({ roomId: context.roomId }) },
      ],
    },
  },
});

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
