/**
 * The paid 1-on-1 call as a pure XState machine: apply → ring → reply → live → hangup → settle.
 *
 * The host never keeps an actor alive. It runs this machine only through xstate's pure
 * `initialTransition(callMachine, input)` / `transition(callMachine, snapshot, event)`, saves the
 * snapshot, and then carries out the returned actions itself:
 *
 * - `chargeMinute {minute}` — charge the guest / credit the anchor for that started minute, then
 *   report the guest's balance with `MINUTE_CHARGED` (needed only when the machine takes it: when
 *   the balance will not pay the next minute, which the machine then warns the guest of).
 * - `settleCall {callId}` — the call has ended: write the record, push the result.
 * - `xstate.raise` with a numeric `params.delay` — add a delayed job that sends `params.event`
 *   back after `params.delay` ms, with a job id derived from `params.id`.
 * - `xstate.cancel` — remove the delayed job whose id is `params.sendId`.
 *
 * What the parties' apps are told of each transition (the call's view as `call:update`, the
 * low-balance warning) is `callUpdates(transition)`, at the end of this file (machines/notices.ts).
 *
 * Every event carries `at` (epoch ms, stamped by the host) so the machine never reads a clock.
 * Every event that does not apply is ignored: `snapshot.can(event)` is false, `transition()`
 * returns the same snapshot and no actions. That is what makes late or duplicated delayed jobs,
 * double clicks and strangers' requests harmless.
 */
import { assign, enqueueActions, type SnapshotFrom, setup } from 'xstate';
import { type CallAudience, isOwnEvent, type TransitionFacts, type UpdateNotice } from './notices.js';

export type CallParty = 'guest' | 'anchor';

export type CallState = 'ringing' | 'accepted' | 'live' | 'ended' | 'settled';

export type CallEndReason =
  | 'refused'
  | 'cancelled'
  | 'missed'
  | 'hangup_guest'
  | 'hangup_anchor'
  | 'hangup_server'
  | 'insufficient_funds'
  | 'disconnect'
  | 'banned'
  /** Never chosen by the machine: the server ended a call whose machine Redis lost (src/calls/lost-calls.ts). */
  | 'state_lost';

export interface CallInput {
  callId: string;
  guestId: number;
  anchorId: number;
  initiator: CallParty;
  unitPricePoints: number;
  unitPriceDiamonds: number;
  ringTimeoutMs: number;
  billingIntervalMs: number;
  disconnectGraceMs: number;
  /** Epoch ms when the call was created. */
  at: number;
}

export interface CallBan {
  userId: number;
  type: 'account' | 'stream';
  title: string;
}

export interface CallContext extends CallInput {
  acceptedAt?: number;
  startedAt?: number;
  endedAt?: number;
  endReason?: CallEndReason;
  /** The user id of whoever ended the call, an admin id, or 'server'. */
  endedBy?: number | string;
  /** Minutes charged so far (billing is prepaid per started minute). */
  minutesStarted: number;
  disconnected: { guest: boolean; anchor: boolean };
  ban?: CallBan;
  /** The RoomService room (`/weapp/live_room/create_room` with guestId) the call's streams meet in. */
  roomId?: string;
  /** The last low-balance warning: the minute after whose charge the guest was warned, and his balance then. */
  lowBalance?: { minute: number; diamond: number };
}

export type CallEvent =
  | { type: 'ACCEPT'; by: number; at: number }
  | { type: 'ROOM_CREATED'; by: number; roomId: string; at: number }
  | { type: 'REFUSE'; by: number; at: number }
  | {
      type: 'START';
      by: number;
      at: number;
      /** The guest's diamonds after startCall charged minute 1 itself (its outcome decided the answer). */
      firstMinutePaid?: { guestDiamonds: number };
    }
  | { type: 'HANGUP'; by: number; at: number }
  | { type: 'SERVER_HANGUP'; by: string; at: number }
  | { type: 'BAN'; userId: number; banType: 'account' | 'stream'; title: string; at: number }
  | { type: 'TICK'; minute: number; at: number }
  | { type: 'CHARGE_FAILED'; minute: number; at: number }
  /** Minute `minute` was paid; `diamond`: the guest's balance after it. */
  | { type: 'MINUTE_CHARGED'; minute: number; diamond: number; at: number }
  | { type: 'DISCONNECTED'; party: CallParty; at: number }
  | { type: 'RECONNECTED'; party: CallParty; at: number }
  | { type: 'GRACE_EXPIRED'; party: CallParty; at: number }
  | { type: 'SETTLED'; at: number };

export function partyOf(
  context: Pick<CallContext, 'guestId' | 'anchorId'>,
  userId: number,
): CallParty | null {
  if (userId === context.guestId) return 'guest';
  if (userId === context.anchorId) return 'anchor';
  return null;
}

function calleeOf(context: Pick<CallContext, 'initiator'>): CallParty {
  return context.initiator === 'guest' ? 'anchor' : 'guest';
}

/** Party that sent a HANGUP/ACCEPT/REFUSE/START; null for any other event or a stranger. */
function senderOf(context: CallContext, event: CallEvent): CallParty | null {
  switch (event.type) {
    case 'ACCEPT':
    case 'ROOM_CREATED':
    case 'REFUSE':
    case 'START':
    case 'HANGUP':
      return partyOf(context, event.by);
    default:
      return null;
  }
}

function userIdOf(context: CallContext, party: CallParty): number {
  return party === 'guest' ? context.guestId : context.anchorId;
}

// xstate's own `after` events (`xstate.after.ringTimeout.call.*`) are sent back by the host's
// delayed job and carry `at` only if the host stamps it; without one, the time the timeout was
// due is the best deterministic answer.
function endedAtOf(context: CallContext, event: { at?: unknown }): number {
  if (typeof event.at === 'number') return event.at;
  return (context.acceptedAt ?? context.at) + context.ringTimeoutMs;
}

function endedByOf(context: CallContext, event: CallEvent): number | string {
  switch (event.type) {
    case 'REFUSE':
    case 'HANGUP':
    case 'SERVER_HANGUP':
      return event.by;
    case 'GRACE_EXPIRED':
      return userIdOf(context, event.party);
    default:
      return 'server';
  }
}

/** Party a DISCONNECTED / RECONNECTED / GRACE_EXPIRED event is about; null for other events. */
function connectionPartyOf(event: CallEvent): CallParty | null {
  switch (event.type) {
    case 'DISCONNECTED':
    case 'RECONNECTED':
    case 'GRACE_EXPIRED':
      return event.party;
    default:
      return null;
  }
}

/** How a call that is not live yet can end: the same in `ringing` and `accepted`. */
const endsBeforeLive = {
  REFUSE: {
    guard: 'byCallee',
    target: 'ended',
    actions: { type: 'recordEnd', params: { reason: 'refused' } },
  },
  HANGUP: [
    {
      guard: 'byInitiator',
      target: 'ended',
      actions: { type: 'recordEnd', params: { reason: 'cancelled' } },
    },
    { guard: 'byCallee', target: 'ended', actions: { type: 'recordEnd', params: { reason: 'refused' } } },
  ],
  SERVER_HANGUP: { target: 'ended', actions: { type: 'recordEnd', params: { reason: 'hangup_server' } } },
  BAN: {
    guard: 'bansAParty',
    target: 'ended',
    actions: ['recordBan', { type: 'recordEnd', params: { reason: 'banned' } }],
  },
} as const;

export const callMachine = setup({
  types: {
    input: {} as CallInput,
    context: {} as CallContext,
    events: {} as CallEvent,
  },
  delays: {
    ringTimeout: ({ context }) => context.ringTimeoutMs,
    billingInterval: ({ context }) => context.billingIntervalMs,
    disconnectGrace: ({ context }) => context.disconnectGraceMs,
  },
  guards: {
    byCallee: ({ context, event }) => senderOf(context, event) === calleeOf(context),
    byInitiator: ({ context, event }) => senderOf(context, event) === context.initiator,
    byGuest: ({ context, event }) => senderOf(context, event) === 'guest',
    byAnchor: ({ context, event }) => senderOf(context, event) === 'anchor',
    // The anchor answers a guest's call and starts it in one go (create_room + startCall). An
    // anchor-initiated call cannot skip the guest's agreement.
    anchorStartsGuestCall: ({ context, event }) =>
      context.initiator === 'guest' && senderOf(context, event) === 'anchor',
    // The anchor opens the call's room once, before the call goes live (spec §7: "waiting for a room").
    anchorOpensRoom: ({ context, event }) =>
      event.type === 'ROOM_CREATED' && context.roomId === undefined && senderOf(context, event) === 'anchor',
    anchorOpensRoomForGuestCall: ({ context, event }) =>
      event.type === 'ROOM_CREATED' &&
      context.roomId === undefined &&
      context.initiator === 'guest' &&
      senderOf(context, event) === 'anchor',
    bansAParty: ({ context, event }) => event.type === 'BAN' && partyOf(context, event.userId) !== null,
    // Billing jobs are at-least-once and may be late: only the very next minute counts.
    isNextMinute: ({ context, event }) =>
      event.type === 'TICK' && event.minute === context.minutesStarted + 1,
    isCurrentMinute: ({ context, event }) =>
      event.type === 'CHARGE_FAILED' && event.minute === context.minutesStarted,
    // The low-balance rule: what is left after the current minute will not pay the next one
    // (warned once per minute, however often the charge is reported).
    cannotPayNextMinute: ({ context, event }) =>
      event.type === 'MINUTE_CHARGED' &&
      event.minute === context.minutesStarted &&
      event.diamond < context.unitPriceDiamonds &&
      context.lowBalance?.minute !== event.minute,
    partyIsConnected: ({ context, event }) => {
      const party = connectionPartyOf(event);
      return party !== null && !context.disconnected[party];
    },
    partyIsDisconnected: ({ context, event }) => {
      const party = connectionPartyOf(event);
      return party !== null && context.disconnected[party];
    },
  },
  actions: {
    // Effects, carried out by the host from transition()'s result; nothing runs here.
    chargeMinute: (_, _params: { minute: number }) => {},
    settleCall: (_, _params: { callId: string }) => {},

    accept: assign(({ event }) => ({ acceptedAt: event.at })),
    bindRoom: assign(({ event }) => (event.type === 'ROOM_CREATED' ? { roomId: event.roomId } : {})),
    // Effect: the call is over, so is its room.
    closeRoom: (_, _params: { roomId: string }) => {},
    recordEnd: assign(({ context, event }, params: { reason: CallEndReason }) => ({
      endReason: params.reason,
      endedBy: endedByOf(context, event),
      endedAt: endedAtOf(context, event),
    })),
    recordBan: assign(({ event }) =>
      event.type === 'BAN' ? { ban: { userId: event.userId, type: event.banType, title: event.title } } : {},
    ),
    startBilling: assign(({ context, event }) => ({
      // Starting straight from `ringing` is the callee's agreement too.
      acceptedAt: context.acceptedAt ?? event.at,
      startedAt: event.at,
      minutesStarted: 1,
    })),
    countMinute: assign(({ context, event }) => ({
      minutesStarted: event.type === 'TICK' ? event.minute : context.minutesStarted,
    })),
    recordLowBalance: assign(({ event }) =>
      event.type === 'MINUTE_CHARGED' ? { lowBalance: { minute: event.minute, diamond: event.diamond } } : {},
    ),
    // The minute that failed to charge was never paid for.
    uncountMinute: assign(({ context }) => ({ minutesStarted: context.minutesStarted - 1 })),
    // `raise` copies its `id` option as is (xstate 5.33 never calls it), so an id that names the
    // minute needs a fresh raise per run, which is what enqueueActions gives.
    scheduleNextTick: enqueueActions(({ context, event, enqueue }) => {
      const minute = context.minutesStarted + 1;
      enqueue.raise(
        { type: 'TICK', minute, at: event.at + context.billingIntervalMs },
        { id: `minute-${minute}`, delay: 'billingInterval' },
      );
    }),
    markDisconnected: assign(({ context, event }, params: { disconnected: boolean }) => {
      const party = connectionPartyOf(event);
      return party === null
        ? {}
        : { disconnected: { ...context.disconnected, [party]: params.disconnected } };
    }),
    scheduleGrace: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'DISCONNECTED') return;
      enqueue.raise(
        { type: 'GRACE_EXPIRED', party: event.party, at: event.at + context.disconnectGraceMs },
        { id: `grace-${event.party}`, delay: 'disconnectGrace' },
      );
    }),
    cancelGrace: enqueueActions(({ event, enqueue }) => {
      if (event.type === 'RECONNECTED') enqueue.cancel(`grace-${event.party}`);
    }),
    // xstate cancels `after` timers by itself; these raises are ours to cancel when `live` is left
    // for good. (A late job would be ignored anyway; a cancelled one never wakes a worker.)
    cancelLiveTimers: enqueueActions(({ context, enqueue }) => {
      enqueue.cancel(`minute-${context.minutesStarted + 1}`);
      for (const party of ['guest', 'anchor'] as const) {
        if (context.disconnected[party]) enqueue.cancel(`grace-${party}`);
      }
    }),
  },
}).createMachine({
  id: 'call',
  initial: 'ringing',
  // Copied field by field so that nothing else the host passes ends up in the persisted snapshot.
  context: ({ input }) => ({
    callId: input.callId,
    guestId: input.guestId,
    anchorId: input.anchorId,
    initiator: input.initiator,
    unitPricePoints: input.unitPricePoints,
    unitPriceDiamonds: input.unitPriceDiamonds,
    ringTimeoutMs: input.ringTimeoutMs,
    billingIntervalMs: input.billingIntervalMs,
    disconnectGraceMs: input.disconnectGraceMs,
    at: input.at,
    minutesStarted: 0,
    disconnected: { guest: false, anchor: false },
  }),
  states: {
    ringing: {
      // Each waiting state gets the full ring timeout of its own: the callee has it to answer,
      // then the anchor has it again to start. A timeout job left over from `ringing` is a
      // different event type (`xstate.after.ringTimeout.call.ringing`) that `accepted` ignores.
      after: {
        ringTimeout: { target: 'ended', actions: { type: 'recordEnd', params: { reason: 'missed' } } },
      },
      on: {
        ...endsBeforeLive,
        ACCEPT: { guard: 'byCallee', target: 'accepted', actions: 'accept' },
        // Taking a guest's call is opening its room (create_room with guestId); for her own call
        // the anchor may open it while the guest has not answered yet.
        ROOM_CREATED: [
          { guard: 'anchorOpensRoomForGuestCall', target: 'accepted', actions: ['accept', 'bindRoom'] },
          { guard: 'anchorOpensRoom', actions: 'bindRoom' },
        ],
        START: { guard: 'anchorStartsGuestCall', target: 'live' },
      },
    },
    accepted: {
      after: {
        ringTimeout: { target: 'ended', actions: { type: 'recordEnd', params: { reason: 'missed' } } },
      },
      on: {
        ...endsBeforeLive,
        ROOM_CREATED: { guard: 'anchorOpensRoom', actions: 'bindRoom' },
        START: { guard: 'byAnchor', target: 'live' },
      },
    },
    live: {
      // Billing is prepaid: the first minute is charged on entry, each further one when it begins.
      entry: [
        'startBilling',
        // startCall charges minute 1 itself and says so in START (its outcome decided the answer):
        // the machine charges it only when it was not paid, and warns at once when what is left
        // will not pay minute 2.
        enqueueActions(({ context, event, enqueue }) => {
          const paid = event.type === 'START' ? event.firstMinutePaid : undefined;
          if (!paid) {
            enqueue({ type: 'chargeMinute', params: { minute: context.minutesStarted } });
            return;
          }
          if (paid.guestDiamonds < context.unitPriceDiamonds)
            enqueue.assign({ lowBalance: { minute: context.minutesStarted, diamond: paid.guestDiamonds } });
        }),
        'scheduleNextTick',
      ],
      exit: 'cancelLiveTimers',
      on: {
        TICK: {
          guard: 'isNextMinute',
          actions: [
            'countMinute',
            { type: 'chargeMinute', params: ({ context }) => ({ minute: context.minutesStarted }) },
            'scheduleNextTick',
          ],
        },
        // The guest is warned (callUpdates: the low-balance warning).
        MINUTE_CHARGED: { guard: 'cannotPayNextMinute', actions: 'recordLowBalance' },
        CHARGE_FAILED: {
          guard: 'isCurrentMinute',
          target: 'ended',
          actions: ['uncountMinute', { type: 'recordEnd', params: { reason: 'insufficient_funds' } }],
        },
        HANGUP: [
          {
            guard: 'byGuest',
            target: 'ended',
            actions: { type: 'recordEnd', params: { reason: 'hangup_guest' } },
          },
          {
            guard: 'byAnchor',
            target: 'ended',
            actions: { type: 'recordEnd', params: { reason: 'hangup_anchor' } },
          },
        ],
        DISCONNECTED: {
          guard: 'partyIsConnected',
          actions: [{ type: 'markDisconnected', params: { disconnected: true } }, 'scheduleGrace'],
        },
        RECONNECTED: {
          guard: 'partyIsDisconnected',
          actions: [{ type: 'markDisconnected', params: { disconnected: false } }, 'cancelGrace'],
        },
        GRACE_EXPIRED: {
          guard: 'partyIsDisconnected',
          target: 'ended',
          actions: { type: 'recordEnd', params: { reason: 'disconnect' } },
        },
        SERVER_HANGUP: {
          target: 'ended',
          actions: { type: 'recordEnd', params: { reason: 'hangup_server' } },
        },
        BAN: {
          guard: 'bansAParty',
          target: 'ended',
          actions: ['recordBan', { type: 'recordEnd', params: { reason: 'banned' } }],
        },
      },
    },
    ended: {
      entry: [
        enqueueActions(({ context, enqueue }) => {
          if (context.roomId !== undefined)
            enqueue({ type: 'closeRoom', params: { roomId: context.roomId } });
        }),
        { type: 'settleCall', params: ({ context }) => ({ callId: context.callId }) },
      ],
      on: {
        SETTLED: { target: 'settled' },
      },
    },
    settled: { type: 'final' },
  },
});

export type CallSnapshot = SnapshotFrom<typeof callMachine>;

/** Which of the spec's `matchStatus` values a state shows: 2 not answered, 1 agreed, 3 over. */
function matchStatusOf(state: CallState): 1 | 2 | 3 {
  if (state === 'ringing') return 2;
  if (state === 'accepted' || state === 'live') return 1;
  return 3;
}

export interface CallView {
  roomInstanceId: string;
  state: CallState;
  matchStatus: 1 | 2 | 3;
  reason: CallEndReason | null;
  guestId: number;
  anchorId: number;
  initiator: CallParty;
  createdAt: number;
  acceptedAt: number | null;
  startedAt: number | null;
  endedAt: number | null;
  minutes: number;
  unitPrice: number;
  unitPriceDiamond: number;
  /** The call's RoomService room once the anchor opened it (create_room), else null. */
  roomID: string | null;
  ban?: CallBan;
}

/** The public view pushed to both parties and the admin panel. Timestamps not reached yet are null. */
export function callView(snapshot: CallSnapshot): CallView {
  const c = snapshot.context;
  const state = snapshot.value as CallState;
  return {
    roomInstanceId: c.callId,
    state,
    matchStatus: matchStatusOf(state),
    reason: c.endReason ?? null,
    guestId: c.guestId,
    anchorId: c.anchorId,
    initiator: c.initiator,
    createdAt: c.at,
    acceptedAt: c.acceptedAt ?? null,
    startedAt: c.startedAt ?? null,
    endedAt: c.endedAt ?? null,
    minutes: c.minutesStarted,
    unitPrice: c.unitPricePoints,
    unitPriceDiamond: c.unitPriceDiamonds,
    roomID: c.roomId ?? null,
    ...(c.ban ? { ban: c.ban } : {}),
  };
}

// ---------------------------------------------------------------------------------------------
// Updates: what the parties' apps are told of each transition (machines/notices.ts)

/** Epoch ms when the minutes paid so far run out: the call ends then unless the guest recharges. */
export function paidUntilOf(context: CallContext): number {
  return (context.startedAt ?? context.at) + context.minutesStarted * context.billingIntervalMs;
}

/**
 * One transition of a call, for the parties' apps, in order: on creation both parties' sockets join
 * the call's own Socket.IO room; every transition's view goes to both parties and that room as
 * `call:update`. A `MINUTE_CHARGED` the machine took (the balance will not pay the next minute), or
 * a `START` whose paid first minute left too little for the second, then warns the guest: `wallet:update` `{diamond, lowBalance: true, roomInstanceId, unitPriceDiamond,
 * paidUntil}`, and the view once more with `lowBalance: true`, `diamond` and `paidUntil`, so the
 * flagged view is the last one he holds for that minute.
 */
export function callUpdates<TView extends { roomInstanceId: unknown }>(
  transition: TransitionFacts<CallContext, CallEvent, TView>,
): UpdateNotice[] {
  const { context, event, view } = transition;
  const parties: CallAudience = { callId: context.callId, userIds: [context.guestId, context.anchorId] };
  const updates: UpdateNotice[] = [];
  if (transition.created) updates.push({ audience: parties, join: parties.userIds });
  updates.push({ audience: parties, event: 'call:update', payload: { ...view }, latest: true });
  const warns = isOwnEvent(event) && (event.type === 'MINUTE_CHARGED' || event.type === 'START');
  if (warns && context.lowBalance) {
    const guest = { userId: context.guestId };
    const paidUntil = paidUntilOf(context);
    const { diamond } = context.lowBalance;
    updates.push(
      {
        audience: guest,
        event: 'wallet:update',
        payload: {
          diamond,
          lowBalance: true,
          roomInstanceId: view.roomInstanceId,
          unitPriceDiamond: context.unitPriceDiamonds,
          paidUntil,
        },
      },
      {
        audience: guest,
        event: 'call:update',
        payload: { ...view, lowBalance: true, diamond, paidUntil },
        latest: true,
      },
    );
  }
  return updates;
}
