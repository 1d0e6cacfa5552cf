import {
  type Gender,
  type RoomEvent,
  type RoomInput,
  type RoomSnapshot,
  refusalOf,
  type SeatName,
  seatOf,
  type UserType,
  userTypeIn,
} from '../../machines/room.js';
import type { User } from '../db/schema/index.js';
import { AppError, badRequest, conflict, notFound } from '../errors.js';
import { requireAllowed } from '../moderation/ban-policy.js';
import type { RedisClient } from '../redis/connection.js';
import type { RoomIndex } from './room-index.js';
import type { RoomMachines } from './room-kind.js';
import type { RoomsRepository } from './rooms.repository.js';

/** accept_micro's seat is held by someone else: a 409, which QLive's wire answers as 抢麦失败. */
export class SeatTakenError extends AppError {
  constructor(message: string) {
    super('conflict', message);
    this.name = 'SeatTakenError';
  }
}

/** The machine's refusal of `event`, as the client is told it. */
function refused(snapshot: RoomSnapshot, event: RoomEvent): AppError {
  const refusal = refusalOf(snapshot, event);
  if (refusal.reason === 'seat_taken') return new SeatTakenError(refusal.message);
  return new AppError(refusal.kind, refusal.message, refusal.field);
}

export interface RoomsServiceDeps {
  /** The room machines (`runtime.of(ROOM)`). */
  machines: RoomMachines;
  repository: RoomsRepository;
  roomIndex: RoomIndex;
  /** For the short lock that keeps a matchmaker from opening two rooms at once. */
  redis: RedisClient;
  prefix: string;
  /** DISCONNECT_GRACE_MS: how long the matchmaker or a seat holder may be gone. */
  graceMs: number;
}

/** Where a user is: his room and his QLive `user_type` in it (never 0: no room is `null`). */
export interface UserRoomState {
  liveId: number;
  roomName: string;
  groupId: string;
  userType: Exclude<UserType, 0>;
  snapshot: RoomSnapshot;
}

/** One person listed by get_users_info: `state` 1 applied for the mic, 0 audience. */
export interface ListedMember {
  userId: number;
  state: 0 | 1;
}

/** A room event without `at`: the runtime stamps it. */
type RoomCommand = RoomEvent extends infer E ? (E extends RoomEvent ? Omit<E, 'at'> : never) : never;

const SEAT_GENDER: Record<SeatName, Gender> = { male: 1, female: 2 };
const seatWord = (seat: SeatName) => (seat === 'male' ? 'male' : 'female');

/**
 * The QLive room operations as the mini-program drives them. Each sends one event to the room's
 * machine, which holds every room rule (who may take, refuse or leave a seat, end the room); an
 * event it refuses is reported as the machine explains it (`refusalOf`: 409, or 403 when it is about
 * who asked). Only what the machine cannot know is checked here: bans and the request's own fields.
 */
export function createRoomsService(deps: RoomsServiceDeps) {
  const { machines, roomIndex } = deps;

  async function snapshotOf(liveId: number): Promise<RoomSnapshot | null> {
    return (await machines.get(String(liveId)))?.snapshot ?? null;
  }

  const isEnded = (snapshot: RoomSnapshot) => snapshot.status === 'done';

  /** The room, which must exist (404) and still be live (409). */
  async function liveSnapshot(liveId: number): Promise<RoomSnapshot> {
    const snapshot = await snapshotOf(liveId);
    if (!snapshot) {
      const row = await deps.repository.find(liveId);
      if (row) throw conflict(`live room ${liveId} has ended`);
      throw notFound(`no live room ${liveId}`, 'live_id');
    }
    if (isEnded(snapshot)) throw conflict(`live room ${liveId} has ended`);
    return snapshot;
  }

  async function send(liveId: number, event: RoomCommand, actor: number) {
    try {
      return await machines.send(String(liveId), event, { actor: String(actor) });
    } catch (error) {
      if (error instanceof AppError && error.kind === 'not_found')
        throw notFound(`no live room ${liveId}`, 'live_id');
      throw error;
    }
  }

  /** The room's pushed view (as room:update carries it), for a socket that (re)connects. */
  async function currentView(liveId: number): Promise<Record<string, unknown> | null> {
    const instance = await machines.get(String(liveId));
    if (!instance) return null;
    return { ...instance.view, liveId, version: instance.version, event: 'sync' };
  }

  async function stateOf(userId: number): Promise<UserRoomState | null> {
    const roomId = await roomIndex.activeRoomOf(userId);
    const snapshot = roomId ? await snapshotOf(Number(roomId)) : null;
    if (!snapshot) return null;
    const userType = userTypeIn(snapshot, userId);
    if (userType === 0) return null;
    const { context } = snapshot;
    return {
      liveId: Number(context.roomId),
      roomName: context.roomName,
      groupId: context.groupId,
      userType,
      snapshot,
    };
  }

  /** Leaves whatever room the user is a member of (not one he hosts), e.g. before entering another. */
  async function leaveCurrentMembership(user: User, exceptLiveId?: number): Promise<void> {
    const current = await stateOf(user.id);
    if (!current || current.liveId === exceptLiveId) return;
    if (current.userType === 5)
      throw conflict(`you are hosting live room ${current.liveId}; end it with live_end first`);
    await send(current.liveId, { type: 'LEAVE', userId: user.id, entering: true }, user.id);
    await roomIndex.leave(user.id, String(current.liveId));
  }

  /** Runs `open` at most once at a time per matchmaker, across processes. */
  async function withOpeningLock<T>(userId: number, work: () => Promise<T>): Promise<T> {
    const key = `${deps.prefix}room:opening:${userId}`;
    const locked = await deps.redis.set(key, '1', 'PX', 15_000, 'NX');
    if (locked !== 'OK') throw conflict('your room is being opened already, try again in a moment');
    try {
      return await work();
    } finally {
      await deps.redis.del(key);
    }
  }

  /**
   * matchmaker_enter. `groupFor` finds (or makes) her IM group at Tencent; it is asked only once the
   * ban policy lets her host, so a banned matchmaker costs no vendor call.
   */
  async function open(
    matchmaker: User,
    options: {
      roomName?: string | undefined;
      roomImage?: string | undefined;
      groupFor: () => Promise<string>;
    },
  ): Promise<{ liveId: number; snapshot: RoomSnapshot; reopened: boolean }> {
    requireAllowed('mayHost', matchmaker, 'your account is banned from hosting');
    const groupId = await options.groupFor();
    return withOpeningLock(matchmaker.id, async () => {
      const current = await stateOf(matchmaker.id);
      if (current?.userType === 5) {
        // Back in her own live room (a reload, another device): a pending grace period ends here.
        let result = await send(
          current.liveId,
          { type: 'RECONNECTED', userId: matchmaker.id },
          matchmaker.id,
        );
        if (groupId && groupId !== result.snapshot.context.groupId) {
          result = await send(current.liveId, { type: 'GROUP_ASSIGNED', groupId }, matchmaker.id);
        }
        return { liveId: current.liveId, snapshot: result.snapshot, reopened: true };
      }
      await leaveCurrentMembership(matchmaker);
      const liveId = await deps.repository.nextId();
      const roomName = options.roomName || `${matchmaker.nickname || `红娘${matchmaker.id}`}的直播间`;
      await deps.repository.insert({
        id: liveId,
        matchmakerId: matchmaker.id,
        roomName,
        roomImage: options.roomImage ?? matchmaker.headImg,
        groupId,
      });
      const input: RoomInput = {
        roomId: String(liveId),
        matchmakerId: matchmaker.id,
        roomName,
        groupId,
        graceMs: deps.graceMs,
        at: Date.now(),
      };
      try {
        const created = await machines.create(String(liveId), input, { actor: String(matchmaker.id) });
        await roomIndex.join(matchmaker.id, String(liveId));
        return { liveId, snapshot: created.snapshot, reopened: false };
      } catch (error) {
        await deps.repository.markFailed(liveId);
        throw error;
      }
    });
  }

  async function enter(user: User, liveId: number): Promise<RoomSnapshot> {
    const snapshot = await liveSnapshot(liveId);
    if (userTypeIn(snapshot, user.id) !== 0) return snapshot;
    requireAllowed('mayEnterRoom', user, 'your account is banned');
    await leaveCurrentMembership(user, liveId);
    const result = await send(
      liveId,
      { type: 'ENTER', userId: user.id, gender: user.gender as Gender },
      user.id,
    );
    const after = result.snapshot;
    // Not applied: either he got in concurrently (fine) or the room ended meanwhile.
    if (!result.applied && userTypeIn(after, user.id) === 0) throw conflict(`live room ${liveId} has ended`);
    await roomIndex.join(user.id, String(liveId));
    return after;
  }

  async function apply(user: User, liveId: number): Promise<void> {
    await liveSnapshot(liveId);
    requireAllowed('mayTakeMic', user, 'you are banned from going on the mic');
    const event = { type: 'APPLY', userId: user.id, at: Date.now() } as const;
    const result = await send(liveId, event, user.id);
    if (!result.applied) throw refused(result.snapshot, event);
  }

  /**
   * accept_micro / refuse_micro: the caller is the applicant himself (the documented call: it has
   * only `live_id`), or the room's matchmaker naming him; the machine decides.
   */
  async function acceptSeat(actor: User, liveId: number, userId: number) {
    await liveSnapshot(liveId);
    if (userId === actor.id) requireAllowed('mayTakeMic', actor, 'you are banned from going on the mic');
    const event = { type: 'ACCEPT_SEAT', userId, by: actor.id, at: Date.now() } as const;
    const result = await send(liveId, event, actor.id);
    const after = result.snapshot;
    const seat = seatOf(after.context, userId);
    if (result.applied && seat) return { seat, snapshot: after };
    throw refused(after, event);
  }

  async function refuseSeat(actor: User, liveId: number, userId: number): Promise<void> {
    await liveSnapshot(liveId);
    const event = { type: 'REFUSE_SEAT', userId, by: actor.id, at: Date.now() } as const;
    const result = await send(liveId, event, actor.id);
    if (!result.applied) throw refused(result.snapshot, event);
  }

  /** leave_micro: the seat holder himself or the matchmaker takes him off the mic. */
  async function leaveSeat(actor: User, liveId: number, userId: number, gender?: number): Promise<void> {
    const snapshot = await liveSnapshot(liveId);
    const seat = seatOf(snapshot.context, userId);
    if (seat && gender !== undefined && SEAT_GENDER[seat] !== gender)
      throw badRequest(`user ${userId} is on the ${seatWord(seat)} seat, not gender ${gender}'s`, 'gender');
    const event = { type: 'LEAVE_SEAT', userId, by: actor.id, at: Date.now() } as const;
    const result = await send(liveId, event, actor.id);
    if (!result.applied) throw refused(result.snapshot, event);
  }

  async function end(actor: User, liveId: number): Promise<void> {
    await liveSnapshot(liveId);
    const event = { type: 'END', by: actor.id, at: Date.now() } as const;
    const result = await send(liveId, event, actor.id);
    if (!result.applied) throw refused(result.snapshot, event);
  }

  /** leave_room: an audience member, applicant or seat holder leaves (off the mic first). */
  async function leave(user: User, liveId: number): Promise<void> {
    await liveSnapshot(liveId);
    const event = { type: 'LEAVE', userId: user.id, at: Date.now() } as const;
    const result = await send(liveId, event, user.id);
    if (!result.applied) throw refused(result.snapshot, event);
    await roomIndex.leave(user.id, String(liveId));
  }

  /**
   * The logout procedure (qlive_user/logout/ and IM's Logout callback, qlive-realtime.md §5.3): the
   * host's room ends and is told `over`; a member leaves (a seat holder's seat is announced free).
   */
  async function logout(userId: number): Promise<void> {
    const current = await stateOf(userId);
    if (!current) return;
    await send(current.liveId, { type: 'LOGOUT', userId }, userId);
    if (current.userType !== 5) await roomIndex.leave(userId, String(current.liveId));
  }

  /** IM's Group.CallbackAfterMemberExit: the room whose group it is takes those members out. */
  async function membersExitedGroup(groupId: string, userIds: number[]): Promise<void> {
    const row = await deps.repository.findLiveByGroup(groupId);
    if (!row) return;
    const snapshot = await snapshotOf(row.id);
    if (!snapshot || isEnded(snapshot)) return;
    await machines.send(String(row.id), { type: 'MEMBERS_EXITED', userIds }, { actor: 'im' });
    await Promise.all(
      userIds
        .filter((userId) => userId !== snapshot.context.matchmakerId)
        .map((userId) => roomIndex.leave(userId, String(row.id))),
    );
  }

  /** get_users_info: applicants of that gender (in order of application), then its audience. */
  async function membersByGender(liveId: number, gender: 1 | 2): Promise<ListedMember[]> {
    const snapshot = await liveSnapshot(liveId);
    const { members, applicants } = snapshot.context;
    const ofGender = (userId: number) => members[String(userId)]?.gender === gender;
    const applied = applicants.filter(ofGender).map((userId) => ({ userId, state: 1 as const }));
    const audience = Object.values(members)
      .filter((member) => member.gender === gender && userTypeIn(snapshot, member.userId) === 1)
      .sort((a, b) => a.joinedAt - b.joinedAt || a.userId - b.userId)
      .map((member) => ({ userId: member.userId, state: 0 as const }));
    return [...applied, ...audience];
  }

  /**
   * A socket change of the matchmaker or a seat holder: the machine runs the grace period. Only our
   * websocket clients report presence; a QLive member who never opens a socket (the mini-program
   * speaks Tencent IM) is never DISCONNECTED, and IM's Logout and member-exit callbacks are his signal.
   */
  async function presenceChanged(userId: number, connected: boolean): Promise<void> {
    const current = await stateOf(userId);
    if (!current) return;
    if (!connected && current.userType < 3) return;
    await send(current.liveId, { type: connected ? 'RECONNECTED' : 'DISCONNECTED', userId }, userId);
  }

  return {
    snapshotOf,
    liveSnapshot,
    currentView,
    stateOf,
    open,
    enter,
    apply,
    acceptSeat,
    refuseSeat,
    leaveSeat,
    end,
    leave,
    logout,
    membersExitedGroup,
    membersByGender,
    presenceChanged,
  };
}

export type RoomsService = ReturnType<typeof createRoomsService>;
