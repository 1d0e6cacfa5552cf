/**
 * What a machine announces, as plain data: who hears it and what they are told. Each machine of
 * this folder declares its own notices; the host (src/notices/) delivers them over Socket.IO and
 * Tencent IM, channels that know nothing of calls or rooms. Two kinds, by how they travel:
 *
 * - A **message** (`MessageNotice`): one of QLive's IM messages `{content, type}`, said the same way
 *   on every channel (Tencent IM: a C2C or group message; Socket.IO: `machine:notice`). A machine
 *   names it in its `announce` action, so it is carried out from the outbox saved with the
 *   transition: queued even if the process dies right after the save, and never twice.
 * - An **update** (`UpdateNotice`): what our own websocket clients are told of a transition (the
 *   instance's view as a Socket.IO event, a warning) and who is in an audience from now on. A
 *   machine declares its updates per transition with a pure function of the transition
 *   (`callUpdates`, `roomUpdates`); the host delivers them in order after the transition's effects.
 *   Best effort: a client that (re)connects is sent the current state.
 */

/** One user: his own apps (Socket.IO `user:<id>`; Tencent IM: C2C to his account). */
export interface UserAudience {
  userId: number;
}

/** Everyone in a QLive room: its Socket.IO room `room:<roomId>` and its Tencent IM group. */
export interface RoomAudience {
  roomId: string;
  /** The room's IM group; "" while it has none (nothing goes over IM then). */
  groupId: string;
}

/** Both parties of a paid call: their own apps and the call's Socket.IO room `call:<callId>`. */
export interface CallAudience {
  callId: string;
  userIds: number[];
}

export type Audience = UserAudience | RoomAudience | CallAudience;

/** QLive's IM message (qlive-realtime.md §2): the `Text` of the IM message is this, as JSON. */
export interface QliveMessage {
  content: unknown;
  type: string;
}

/** Said on every channel, from the transition's outbox (see above). */
export interface MessageNotice<M extends QliveMessage = QliveMessage> {
  audience: UserAudience | RoomAudience;
  message: M;
}

/** The Socket.IO events updates are told as (typed in src/realtime/events.ts). */
export type UpdateEvent = 'call:update' | 'room:update' | 'room:seat' | 'wallet:update';

/** A Socket.IO event for our websocket clients. */
export interface EventNotice {
  audience: Audience;
  event: UpdateEvent;
  payload: Record<string, unknown>;
  /**
   * The payload is the instance's state as of this transition: left out when a newer transition
   * was saved before it could go (it would take the clients back to an older state).
   */
  latest?: true;
}

/** The users whose sockets join the audience (they hear its next updates), or leave it. */
export interface MembershipNotice {
  audience: RoomAudience | CallAudience;
  join?: number[];
  /** `everyone`: the audience is disbanded (the room ended). */
  leave?: number[] | 'everyone';
}

export type UpdateNotice = EventNotice | MembershipNotice;

/** What an update function is given about one transition (all of it known once it is saved). */
export interface TransitionFacts<TContext, TEvent, TView> {
  /** The event applied: one of the machine's, or xstate's own (`xstate.init` on creation, timeouts). */
  event: TEvent | { type: `xstate.${string}` };
  /** The context after the transition. */
  context: TContext;
  /** The instance's public view after the transition, as the host presents it to clients. */
  view: TView;
  /** The instance's version after the transition (1 on creation). */
  version: number;
  /** This transition created the instance. */
  created: boolean;
  /** The instance reached its final state. */
  final: boolean;
}

/** Narrows a transition's event to one of the machine's own (not xstate's). */
export function isOwnEvent<TEvent extends { type: string }>(
  event: TEvent | { type: `xstate.${string}` },
): event is TEvent {
  return !event.type.startsWith('xstate.');
}
