/**
 * A room of Tencent's RoomService protocol (`/weapp/live_room/`, spec tencent-roomservice.md) as a
 * pure XState machine: `created` (no pusher yet) → `live` (one or more pushers) → `closed`.
 *
 * Run by the host exactly like machines/call.ts: pure `initialTransition` / `transition`, then the
 * host carries out the named actions and timers:
 *
 * - `reportToCall {callId, userId, connected}` — a party of the room's paid call started or stopped
 *   pushing: the host tells the call machine (RECONNECTED / DISCONNECTED, its grace period applies).
 * - `pusherChanged {roomId}` — a pusher joined, updated or left (the IM notification of §3).
 * - `roomClosed {roomId, callId}` — the room is gone (the IM group goes with it).
 * - a delayed raise `heartbeat-<userId>` → `PUSHER_TIMEOUT {userId}` per pusher, re-armed when the
 *   pusher is added or updated; heartbeats push it back without a transition (the runtime's timer
 *   touch), so a beat costs no snapshot write.
 * - `after emptyRoomTimeout` in `created`: a room nobody pushed to is removed (not a call's room,
 *   which lives as long as its call).
 *
 * Every event carries `at` (epoch ms, stamped by the host). An event that does not apply leaves the
 * snapshot as it is (`snapshot.can(event)` is false), which the host turns into the protocol's codes.
 */
import { assign, enqueueActions, type SnapshotFrom, setup } from 'xstate';

export interface LiveRoomPusher {
  userId: string;
  userName: string;
  userAvatar: string;
  /** The pusher's own signed push URL; never shown to others. */
  pushUrl: string;
  /** The stream of `pushUrl` (path segment after the last `/`). */
  stream: string;
  accelerateUrl: string;
  joinedAt: number;
}

export interface LiveRoomAudience {
  userId: string;
  userInfo: string;
}

/** The paid call a room was created for: its id and its two parties as RoomService user ids. */
export interface LiveRoomCall {
  callId: string;
  guestId: string;
  anchorId: string;
}

export type LiveRoomCloseReason =
  | 'destroyed'
  | 'empty'
  | 'idle'
  | 'creator_timeout'
  | 'call_ended'
  | 'admin'
  /** Never chosen by the machine: the server closed a room whose machine Redis lost (src/roomservice/lost-live-rooms.ts). */
  | 'state_lost';

export interface LiveRoomInput {
  roomId: string;
  roomInfo: string;
  creator: string;
  call: LiveRoomCall | null;
  maxPushers: number;
  maxAudiences: number;
  heartbeatTimeoutMs: number;
  emptyRoomTimeoutMs: number;
  /** Epoch ms when the room was created. */
  at: number;
}

export interface LiveRoomContext extends LiveRoomInput {
  pushers: LiveRoomPusher[];
  audiences: LiveRoomAudience[];
  closedAt?: number;
  endReason?: LiveRoomCloseReason;
}

export type LiveRoomEvent =
  | { type: 'ADD_PUSHER'; pusher: Omit<LiveRoomPusher, 'joinedAt'>; at: number }
  | { type: 'REMOVE_PUSHER'; userId: string; at: number }
  | { type: 'PUSHER_TIMEOUT'; userId: string; at: number }
  | { type: 'DESTROY'; by: string; at: number }
  | { type: 'CALL_ENDED'; at: number }
  | { type: 'ADMIN_END'; by: number | string; at: number }
  | { type: 'ADD_AUDIENCE'; userId: string; userInfo: string; at: number }
  | { type: 'REMOVE_AUDIENCE'; userId: string; at: number };

/** The raise id of a pusher's heartbeat timer: what the host touches on `pusher_heartbeat`. */
export const heartbeatTimerId = (userId: string) => `heartbeat-${userId}`;

function userOf(event: LiveRoomEvent): string | null {
  switch (event.type) {
    case 'ADD_PUSHER':
      return event.pusher.userId;
    case 'REMOVE_PUSHER':
    case 'PUSHER_TIMEOUT':
    case 'ADD_AUDIENCE':
    case 'REMOVE_AUDIENCE':
      return event.userId;
    default:
      return null;
  }
}

const isPusherIn = (context: LiveRoomContext, userId: string | null) =>
  userId !== null && context.pushers.some((pusher) => pusher.userId === userId);

const isCallParty = (context: LiveRoomContext, userId: string | null) =>
  context.call !== null && (userId === context.call.guestId || userId === context.call.anchorId);

const liveRoomSetup = setup({
  types: {
    input: {} as LiveRoomInput,
    context: {} as LiveRoomContext,
    events: {} as LiveRoomEvent,
  },
  delays: {
    emptyRoomTimeout: ({ context }) => context.emptyRoomTimeoutMs,
  },
  guards: {
    isPusher: ({ context, event }) => isPusherIn(context, userOf(event)),
    // A call's room takes only the call's two parties; any other room anyone, up to the limit.
    mayJoin: ({ context, event }) => {
      const userId = userOf(event);
      if (userId === null || isPusherIn(context, userId)) return false;
      if (context.call !== null && !isCallParty(context, userId)) return false;
      return context.pushers.length < context.maxPushers;
    },
    isLastPusher: ({ context, event }) => isPusherIn(context, userOf(event)) && context.pushers.length === 1,
    // A room that is not a call's is removed with its last pusher; a call's room waits for its call.
    isLastPusherOfPlainRoom: ({ context, event }) =>
      context.call === null && isPusherIn(context, userOf(event)) && context.pushers.length === 1,
    isCallRoom: ({ context }) => context.call !== null,
    isPlainRoom: ({ context }) => context.call === null,
    // [decision] spec §3: outside call rooms, a creator whose pusher times out takes the room with her.
    creatorTimedOut: ({ context, event }) =>
      context.call === null && event.type === 'PUSHER_TIMEOUT' && event.userId === context.creator,
    byCreator: ({ context, event }) => event.type === 'DESTROY' && event.by === context.creator,
    mayEnterAudience: ({ context, event }) =>
      event.type === 'ADD_AUDIENCE' &&
      (context.audiences.some((audience) => audience.userId === event.userId) ||
        context.audiences.length < context.maxAudiences),
    isAudience: ({ context, event }) =>
      context.audiences.some((audience) => audience.userId === userOf(event)),
  },
  actions: {
    // Effects, carried out by the host; nothing runs here.
    reportToCall: (_, _params: { callId: string; userId: string; connected: boolean }) => {},
    pusherChanged: (_, _params: { roomId: string }) => {},
    roomClosed: (_, _params: { roomId: string; callId: string | null }) => {},

    addPusher: assign(({ context, event }) =>
      event.type === 'ADD_PUSHER'
        ? { pushers: [...context.pushers, { ...event.pusher, joinedAt: event.at }] }
        : {},
    ),
    updatePusher: assign(({ context, event }) =>
      event.type === 'ADD_PUSHER'
        ? {
            pushers: context.pushers.map((pusher) =>
              pusher.userId === event.pusher.userId ? { ...event.pusher, joinedAt: pusher.joinedAt } : pusher,
            ),
          }
        : {},
    ),
    removePusher: assign(({ context, event }) => ({
      pushers: context.pushers.filter((pusher) => pusher.userId !== userOf(event)),
    })),
    armHeartbeat: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'ADD_PUSHER') return;
      const { userId } = event.pusher;
      enqueue.raise(
        { type: 'PUSHER_TIMEOUT', userId, at: event.at + context.heartbeatTimeoutMs },
        { id: heartbeatTimerId(userId), delay: context.heartbeatTimeoutMs },
      );
    }),
    disarmHeartbeat: enqueueActions(({ event, enqueue }) => {
      const userId = userOf(event);
      if (userId !== null) enqueue.cancel(heartbeatTimerId(userId));
    }),
    addAudience: assign(({ context, event }) =>
      event.type === 'ADD_AUDIENCE'
        ? {
            audiences: [
              ...context.audiences.filter((audience) => audience.userId !== event.userId),
              { userId: event.userId, userInfo: event.userInfo },
            ],
          }
        : {},
    ),
    removeAudience: assign(({ context, event }) => ({
      audiences: context.audiences.filter((audience) => audience.userId !== userOf(event)),
    })),
    recordClose: assign(({ event }, params: { reason: LiveRoomCloseReason }) => ({
      endReason: params.reason,
      closedAt: event.at,
    })),
  },
});

const notifyPusherChange = liveRoomSetup.enqueueActions(({ context, enqueue }) => {
  enqueue({ type: 'pusherChanged', params: { roomId: context.roomId } });
});

const reportToCallAs = (connected: boolean) =>
  liveRoomSetup.enqueueActions(({ context, event, enqueue }) => {
    const userId = userOf(event);
    if (context.call === null || userId === null || !isCallParty(context, userId)) return;
    enqueue({ type: 'reportToCall', params: { callId: context.call.callId, userId, connected } });
  });
const reportJoin = reportToCallAs(true);
const reportLeave = reportToCallAs(false);

export const liveRoomMachine = liveRoomSetup.createMachine({
  id: 'liveRoom',
  initial: 'created',
  // Copied field by field so that nothing else the host passes ends up in the persisted snapshot.
  context: ({ input }) => ({
    roomId: input.roomId,
    roomInfo: input.roomInfo,
    creator: input.creator,
    call: input.call,
    maxPushers: input.maxPushers,
    maxAudiences: input.maxAudiences,
    heartbeatTimeoutMs: input.heartbeatTimeoutMs,
    emptyRoomTimeoutMs: input.emptyRoomTimeoutMs,
    at: input.at,
    pushers: [],
    audiences: [],
  }),
  on: {
    DESTROY: {
      guard: 'byCreator',
      target: '.closed',
      actions: { type: 'recordClose', params: { reason: 'destroyed' } },
    },
    CALL_ENDED: {
      guard: 'isCallRoom',
      target: '.closed',
      actions: { type: 'recordClose', params: { reason: 'call_ended' } },
    },
    ADMIN_END: { target: '.closed', actions: { type: 'recordClose', params: { reason: 'admin' } } },
    ADD_AUDIENCE: { guard: 'mayEnterAudience', actions: 'addAudience' },
    REMOVE_AUDIENCE: { guard: 'isAudience', actions: 'removeAudience' },
  },
  states: {
    created: {
      after: {
        emptyRoomTimeout: {
          guard: 'isPlainRoom',
          target: 'closed',
          actions: { type: 'recordClose', params: { reason: 'idle' } },
        },
      },
      on: {
        ADD_PUSHER: {
          guard: 'mayJoin',
          target: 'live',
          actions: ['addPusher', 'armHeartbeat', reportJoin, notifyPusherChange],
        },
      },
    },
    live: {
      on: {
        ADD_PUSHER: [
          { guard: 'isPusher', actions: ['updatePusher', 'armHeartbeat', notifyPusherChange] },
          { guard: 'mayJoin', actions: ['addPusher', 'armHeartbeat', reportJoin, notifyPusherChange] },
        ],
        PUSHER_TIMEOUT: [
          {
            guard: 'creatorTimedOut',
            target: 'closed',
            actions: ['removePusher', { type: 'recordClose', params: { reason: 'creator_timeout' } }],
          },
          {
            guard: 'isLastPusherOfPlainRoom',
            target: 'closed',
            actions: ['removePusher', { type: 'recordClose', params: { reason: 'empty' } }],
          },
          {
            guard: 'isLastPusher',
            target: 'created',
            actions: ['removePusher', reportLeave, notifyPusherChange],
          },
          { guard: 'isPusher', actions: ['removePusher', reportLeave, notifyPusherChange] },
        ],
        REMOVE_PUSHER: [
          {
            guard: 'isLastPusherOfPlainRoom',
            target: 'closed',
            actions: [
              'removePusher',
              'disarmHeartbeat',
              { type: 'recordClose', params: { reason: 'empty' } },
            ],
          },
          {
            guard: 'isLastPusher',
            target: 'created',
            actions: ['removePusher', 'disarmHeartbeat', reportLeave, notifyPusherChange],
          },
          {
            guard: 'isPusher',
            actions: ['removePusher', 'disarmHeartbeat', reportLeave, notifyPusherChange],
          },
        ],
      },
    },
    closed: {
      type: 'final',
      entry: {
        type: 'roomClosed',
        params: ({ context }) => ({ roomId: context.roomId, callId: context.call?.callId ?? null }),
      },
    },
  },
});

export type LiveRoomSnapshot = SnapshotFrom<typeof liveRoomMachine>;
export type LiveRoomState = 'created' | 'live' | 'closed';

export interface LiveRoomView {
  roomID: string;
  roomInfo: string;
  roomCreator: string;
  state: LiveRoomState;
  callId: string | null;
  pushers: { userID: string; userName: string; userAvatar: string; accelerateURL: string }[];
  audienceCount: number;
  createdAt: number;
  closedAt: number | null;
  endReason: LiveRoomCloseReason | null;
}

/** The public view (admin panel, pushes): never a pusher's push URL. */
export function liveRoomView(snapshot: LiveRoomSnapshot): LiveRoomView {
  const c = snapshot.context;
  return {
    roomID: c.roomId,
    roomInfo: c.roomInfo,
    roomCreator: c.creator,
    state: snapshot.value as LiveRoomState,
    callId: c.call?.callId ?? null,
    pushers: c.pushers.map((pusher) => ({
      userID: pusher.userId,
      userName: pusher.userName,
      userAvatar: pusher.userAvatar,
      accelerateURL: pusher.accelerateUrl,
    })),
    audienceCount: c.audiences.length,
    createdAt: c.at,
    closedAt: c.closedAt ?? null,
    endReason: c.endReason ?? null,
  };
}
