/**
 * The commands of Tencent's RoomService protocol (spec tencent-roomservice.md §5) over the
 * `live_room` machine (machines/live-room.ts): who the caller is (§7's two tokens), the checks each
 * command makes, and the protocol's codes for what the machine refuses. Rooms, pushers and audiences
 * live only in the machine's snapshot; the heartbeat only touches the pusher's timer.
 */
import { createHash, randomBytes } from 'node:crypto';
import {
  heartbeatTimerId,
  type LiveRoomCall,
  type LiveRoomInput,
  type LiveRoomSnapshot,
  type liveRoomMachine,
} from '../../machines/live-room.js';
import type { CallsService } from '../calls/calls.service.js';
import type { User } from '../db/schema/index.js';
import { AppError, forbidden } from '../errors.js';
import { requireAllowed } from '../moderation/ban-policy.js';
import type { EventOf } from '../runtime/index.js';
import {
  parseStreamUrl,
  pushUrlIsSigned,
  type RoomServiceStreamConfig,
  roomServiceAccelerateUrl,
  roomServiceMixedPlayUrl,
  roomServicePushUrl,
  roomServiceStreamName,
} from '../tencent/roomservice-urls.js';
import { verifyUserSig } from '../tencent/user-sig.js';
import { RoomServiceErrors as E } from './errors.js';
import type { LiveRoomInstance, LiveRoomMachines } from './live-room-kind.js';
import type { OpenRoomsRepository } from './open-rooms.repository.js';
import type { MixResult, StreamMixing } from './stream-mixing.js';
import type { RoomServiceTokens } from './tokens.js';

/** Java demo's limits (spec §3). */
export const MAX_PUSHERS = 4;
export const MAX_AUDIENCES = 30;

export interface RoomServiceDeps {
  /** The RoomService room machines (`runtime.of(LIVE_ROOM)`). */
  machines: LiveRoomMachines;
  tokens: RoomServiceTokens;
  calls: CallsService;
  /** A paid-call app token → its user (the paid-call app's own login). */
  authenticatePaidCall(token: string): Promise<User | null>;
  findUser(userId: number): Promise<User | null>;
  mixing: StreamMixing;
  /** IM create_group of the room's AVChatRoom (GroupId = roomID); throws when Tencent refuses. */
  createGroup(roomId: string, name: string): Promise<void>;
  /** Postgres's record of the open rooms that are no call's (what the lost-state reconciler reads). */
  openRooms: Pick<OpenRoomsRepository, 'opened'>;
  streams: RoomServiceStreamConfig & { urlTtlSeconds: number };
  sdkAppId: number;
  secretKey: string;
  heartbeatTimeoutMs: number;
  emptyRoomTimeoutMs: number;
}

/** Who sent a command: the RoomService user id, and the paid-call user when the token was one. */
export interface RoomServiceCaller {
  userId: string;
  paidCallUser: User | null;
}

export interface Credentials {
  /** The claimed `userID` (query, else body); may be left out with a paid-call token. */
  userId: string | undefined;
  token: string | undefined;
}

export interface PusherFields {
  roomId: string;
  userName: string;
  userAvatar: string;
  pushUrl: string;
  roomInfo: string | undefined;
}

export interface RoomListing {
  roomID: string;
  roomInfo: string;
  roomCreator: string;
  mixedPlayURL: string;
  pushers: { userID: string; userName: string; userAvatar: string; accelerateURL: string }[];
}

/** Tencent's identifier rule (letters, digits, `_`, `-`, at most 32 bytes); user ids end up in stream names. */
export const ROOMSERVICE_USER_ID = /^[A-Za-z0-9_-]{1,32}$/;

/** The group's name: roomInfo, or the roomID when empty, cut to IM's 30 bytes on a character boundary. */
export function groupNameOf(roomInfo: string, roomId: string): string {
  let name = '';
  for (const char of roomInfo || roomId) {
    if (Buffer.byteLength(name + char, 'utf8') > 30) break;
    name += char;
  }
  return name || roomId;
}

const credentialDigest = (token: string) => createHash('sha256').update(token).digest('hex');
const authAttribute = (userId: string) => `auth:${userId}`;
const newRoomId = () => {
  const hex = randomBytes(6).toString('hex');
  return `room_${hex.slice(0, 8)}_${hex.slice(8, 12)}`;
};

export function createRoomService(deps: RoomServiceDeps) {
  const { machines, tokens } = deps;

  async function authenticate({ userId, token }: Credentials): Promise<RoomServiceCaller> {
    if (!token || (userId !== undefined && !ROOMSERVICE_USER_ID.test(userId))) throw E.missingParameters(401);
    if (userId && (await tokens.check(userId, token))) return { userId, paidCallUser: null };
    const user = await deps.authenticatePaidCall(token);
    if (user && (userId === undefined || String(user.id) === userId)) {
      return { userId: String(user.id), paidCallUser: user };
    }
    if (!userId) throw E.missingParameters(401);
    throw E.authFailed();
  }

  /** The paid-call account behind a RoomService user id, if there is one (their ids are the IM ids). */
  async function paidCallUserOf(caller: RoomServiceCaller): Promise<User | null> {
    if (caller.paidCallUser) return caller.paidCallUser;
    return /^[1-9][0-9]{0,15}$/.test(caller.userId) ? deps.findUser(Number(caller.userId)) : null;
  }

  /** A paid-call user banned from the app or from broadcasting may not push or open rooms. */
  async function assertMayBroadcast(caller: RoomServiceCaller): Promise<User | null> {
    const user = await paidCallUserOf(caller);
    if (user) requireAllowed('mayHost', user, 'you are banned from broadcasting');
    return user;
  }

  async function room(roomId: string): Promise<LiveRoomInstance | null> {
    const instance = await machines.get(roomId);
    return instance && instance.snapshot.status === 'active' ? instance : null;
  }

  const send = (
    roomId: string,
    event: EventOf<typeof liveRoomMachine>,
    caller: string,
    basis?: LiveRoomInstance,
  ) => machines.send(roomId, event, { actor: caller, ...(basis ? { basis } : {}) });

  async function createRoom(
    roomId: string,
    creator: string,
    roomInfo: string,
    call: LiveRoomCall | null,
  ): Promise<LiveRoomInstance | null> {
    const input: LiveRoomInput = {
      roomId,
      roomInfo,
      creator,
      call,
      maxPushers: MAX_PUSHERS,
      maxAudiences: MAX_AUDIENCES,
      heartbeatTimeoutMs: deps.heartbeatTimeoutMs,
      emptyRoomTimeoutMs: deps.emptyRoomTimeoutMs,
      at: Date.now(),
    };
    let created: LiveRoomInstance;
    try {
      created = await machines.create(roomId, input, { actor: creator });
    } catch (error) {
      if (error instanceof AppError && error.kind === 'conflict') return null;
      throw error;
    }
    // The id is ours now. Postgres learns of the room before its group exists, so a group made
    // is always one the reconciler can find (a call's room is named by its call instead).
    if (call === null) await deps.openRooms.opened(roomId, creator);
    // Its IM group follows (spec §5: a failure is code 6 and there is no room).
    try {
      await deps.createGroup(roomId, groupNameOf(roomInfo, roomId));
    } catch {
      await machines.send(roomId, { type: 'ADMIN_END', by: 'system' }, { actor: 'system' });
      throw E.groupCreationFailed();
    }
    return created;
  }

  /** A fresh `room_xxxxxxxx_xxxx`, or the client's own id (11 if it is taken). */
  async function openRoom(
    requestedId: string | undefined,
    creator: string,
    roomInfo: string,
    call: LiveRoomCall | null,
  ): Promise<LiveRoomInstance> {
    if (requestedId) {
      const created = await createRoom(requestedId, creator, roomInfo, call);
      if (!created) throw E.roomExists();
      return created;
    }
    for (;;) {
      const created = await createRoom(newRoomId(), creator, roomInfo, call);
      if (created) return created;
    }
  }

  function streamUrls(userId: string, roomId?: string) {
    const stream = roomServiceStreamName(deps.streams, userId, roomId);
    return roomServicePushUrl(deps.streams, stream, Date.now() + deps.streams.urlTtlSeconds * 1000);
  }

  function listing(snapshot: LiveRoomSnapshot): RoomListing {
    const c = snapshot.context;
    const creatorStream =
      c.pushers.find((pusher) => pusher.userId === c.creator)?.stream ??
      roomServiceStreamName(deps.streams, c.creator);
    return {
      roomID: c.roomId,
      roomInfo: c.roomInfo,
      roomCreator: c.creator,
      mixedPlayURL: roomServiceMixedPlayUrl(deps.streams, creatorStream),
      pushers: c.pushers.map((pusher) => ({
        userID: pusher.userId,
        userName: pusher.userName,
        userAvatar: pusher.userAvatar,
        accelerateURL: pusher.accelerateUrl,
      })),
    };
  }

  /** After an ADD_PUSHER: remember the credential so heartbeats are checked without a token lookup. */
  async function rememberCredential(roomId: string, userId: string, token: string): Promise<void> {
    await machines.setAttribute(roomId, authAttribute(userId), credentialDigest(token));
  }

  return {
    authenticate,

    /** login: a tls-sig-api-v2 userSig of our SDKAppID for this userID → a fresh token. */
    async login(params: { sdkAppId?: string; userId?: string; userSig?: string }) {
      const { sdkAppId, userId, userSig } = params;
      if (!sdkAppId || !userId || !userSig) throw E.loginParameters();
      if (!ROOMSERVICE_USER_ID.test(userId))
        throw E.loginFailed('userID must be 1-32 letters, digits, _ or -');
      if (sdkAppId !== String(deps.sdkAppId)) throw E.loginFailed('sdkAppID is not this application');
      const check = verifyUserSig(userSig, { sdkAppId: deps.sdkAppId, secretKey: deps.secretKey, userId });
      if (!check.valid) throw E.loginFailed(check.reason);
      return { userID: userId, token: await tokens.issue(userId) };
    },

    async logout(caller: RoomServiceCaller): Promise<void> {
      await tokens.revoke(caller.userId);
    },

    /**
     * get_push_url: the caller's own stream, `<roomID>_<userID>` when a room is named. A call's room
     * serves only its two parties.
     */
    async pushUrl(caller: RoomServiceCaller, roomId: string | undefined) {
      await assertMayBroadcast(caller);
      let callId: string | null = null;
      const instance = roomId ? await room(roomId) : null;
      if (instance) {
        const { call } = instance.snapshot.context;
        if (call) {
          if (caller.userId !== call.guestId && caller.userId !== call.anchorId) throw E.notCallParty();
          callId = call.callId;
        }
      }
      return {
        pushURL: streamUrls(caller.userId, roomId || undefined),
        ...(callId ? { roomInstanceId: Number(callId) } : {}),
      };
    },

    /**
     * create_room. With `guestId` (the paid-call app), the room is the anchor's call's: the call must
     * be waiting for its room (409 `没有待接通的通话`), and a guest's call is accepted by it.
     */
    async createRoom(
      caller: RoomServiceCaller,
      body: { roomInfo?: string; roomId?: string; guestId?: number },
    ) {
      const user = await assertMayBroadcast(caller);
      const roomInfo = body.roomInfo ?? '';
      if (body.guestId === undefined) {
        const created = await openRoom(body.roomId, caller.userId, roomInfo, null);
        return { roomID: created.snapshot.context.roomId };
      }
      if (user?.role !== 'anchor') throw forbidden('only an anchor may open a call room');
      const call = await deps.calls.callWaitingForRoom(user.id, body.guestId);
      const callId = String((call.snapshot.context as { callId: string }).callId);
      const created = await openRoom(body.roomId, caller.userId, roomInfo, {
        callId,
        guestId: String(body.guestId),
        anchorId: String(user.id),
      });
      const roomId = created.snapshot.context.roomId;
      try {
        await deps.calls.bindRoom(call, user.id, roomId);
      } catch (error) {
        // The call moved on meanwhile: the room has no call to wait for.
        await send(roomId, { type: 'CALL_ENDED' }, 'system');
        throw error;
      }
      return { roomID: roomId, roomInstanceId: Number(callId), pushURL: streamUrls(caller.userId, roomId) };
    },

    /** destroy_room: only by its creator (the authenticated caller); an unknown room is 3 as well. */
    async destroyRoom(caller: RoomServiceCaller, roomId: string): Promise<void> {
      const instance = await room(roomId);
      if (!instance) throw E.notCreator();
      const result = await send(roomId, { type: 'DESTROY', by: caller.userId }, caller.userId, instance);
      if (!result.applied) throw E.notCreator();
    },

    /** add_pusher: joins, or updates the caller's entry; an unknown room is created with the caller as creator. */
    async addPusher(caller: RoomServiceCaller, token: string, fields: PusherFields) {
      await assertMayBroadcast(caller);
      if (!pushUrlIsSigned(deps.streams, fields.pushUrl)) throw E.missingParameters();
      const stream = parseStreamUrl(fields.pushUrl)?.stream ?? '';
      const pusher = {
        userId: caller.userId,
        userName: fields.userName,
        userAvatar: fields.userAvatar,
        pushUrl: fields.pushUrl,
        stream,
        accelerateUrl: roomServiceAccelerateUrl(deps.streams, fields.pushUrl),
      };
      // An unknown room is created (the caller its creator); one created meanwhile by someone else is joined.
      const instance =
        (await room(fields.roomId)) ??
        (await createRoom(fields.roomId, caller.userId, fields.roomInfo ?? '', null)) ??
        (await room(fields.roomId));
      // A closed room keeps its id until it expires.
      if (!instance) throw E.roomNotFound();
      const result = await send(fields.roomId, { type: 'ADD_PUSHER', pusher }, caller.userId, instance);
      if (!result.applied) {
        const c = result.snapshot.context;
        if (result.snapshot.status !== 'active') throw E.roomNotFound();
        if (c.call && caller.userId !== c.call.guestId && caller.userId !== c.call.anchorId)
          throw E.notCallParty();
        throw E.roomFull();
      }
      await rememberCredential(fields.roomId, caller.userId, token);
      return { roomID: fields.roomId };
    },

    async deletePusher(caller: RoomServiceCaller, roomId: string): Promise<void> {
      const instance = await room(roomId);
      if (!instance) throw E.notPusherOnLeave();
      const result = await send(
        roomId,
        { type: 'REMOVE_PUSHER', userId: caller.userId },
        caller.userId,
        instance,
      );
      if (!result.applied) throw E.notPusherOnLeave();
    },

    /**
     * pusher_heartbeat, the hot path: one Redis call that checks the credential remembered at
     * add_pusher and pushes the pusher's timer back. Only when that credential does not match (a new
     * login since) is the token checked the slow way and remembered again.
     */
    async heartbeat(credentials: Credentials, roomId: string | undefined): Promise<void> {
      const { token } = credentials;
      if (!token) throw E.missingParameters(401);
      if (!roomId) {
        await authenticate(credentials);
        throw E.missingParameters();
      }
      // Without a userID only a paid-call token can say who it is.
      if (credentials.userId !== undefined && !ROOMSERVICE_USER_ID.test(credentials.userId))
        throw E.missingParameters(401);
      const userId = credentials.userId ?? (await authenticate(credentials)).userId;
      const touch = () =>
        machines.touchTimer(roomId, heartbeatTimerId(userId), {
          require: { attribute: authAttribute(userId), value: credentialDigest(token) },
        });
      const outcome = await touch();
      if (outcome === 'touched') return;
      await authenticate({ userId, token });
      if (outcome === 'mismatch') {
        await rememberCredential(roomId, userId, token);
        if ((await touch()) === 'touched') return;
      }
      throw E.notPusher();
    },

    async pushers(roomId: string): Promise<RoomListing> {
      const instance = await room(roomId);
      if (!instance) throw E.roomNotFound();
      return listing(instance.snapshot);
    },

    /** get_room_list: rooms with a pusher that are not a paid call's, in creation order. */
    async roomList(index: number, count: number): Promise<RoomListing[]> {
      const ids = await machines.list({ limit: 5_000 });
      const rooms = (await Promise.all(ids.map((id) => machines.get(id))))
        .filter((instance) => instance !== null)
        .map((instance) => instance.snapshot)
        .filter(
          (snapshot) =>
            snapshot.status === 'active' && snapshot.value === 'live' && snapshot.context.call === null,
        )
        .sort((a, b) => a.context.at - b.context.at || a.context.roomId.localeCompare(b.context.roomId));
      return rooms.slice(index, index + count).map(listing);
    },

    async addAudience(caller: RoomServiceCaller, roomId: string, userInfo: string): Promise<void> {
      const instance = await room(roomId);
      if (!instance) throw E.roomNotFound();
      const result = await send(
        roomId,
        { type: 'ADD_AUDIENCE', userId: caller.userId, userInfo },
        caller.userId,
        instance,
      );
      if (!result.applied) {
        if (result.snapshot.status !== 'active') throw E.roomNotFound();
        throw E.audienceFull();
      }
    },

    async deleteAudience(caller: RoomServiceCaller, roomId: string): Promise<void> {
      const instance = await room(roomId);
      if (!instance) throw E.roomNotFound();
      // Leaving an audience one is not in is already done.
      await send(roomId, { type: 'REMOVE_AUDIENCE', userId: caller.userId }, caller.userId, instance);
    },

    async audiences(roomId: string) {
      const instance = await room(roomId);
      if (!instance) throw E.roomNotFound();
      const audiences = instance.snapshot.context.audiences.map((audience) => ({
        userID: audience.userId,
        userInfo: audience.userInfo,
      }));
      return { audiences, audienceCount: audiences.length };
    },

    mergeStream: (mergeParams: string): Promise<MixResult> => deps.mixing.mix(mergeParams),
  };
}

export type RoomService = ReturnType<typeof createRoomService>;
