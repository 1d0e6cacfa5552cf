import type { CallContext, CallEvent, CallInput, CallParty, CallSnapshot } from '../../machines/call.js';
import { partyOf } from '../../machines/call.js';
import { diamondPriceOf, type MinuteCharge, type MinuteResult } from '../billing/call-billing.js';
import type { Db } from '../db/client.js';
import type { User } from '../db/schema/index.js';
import { badRequest, conflict, notFound, paymentRequired } from '../errors.js';
import { requireAllowed } from '../moderation/ban-policy.js';
import type { UsersService } from '../users/users.service.js';
import type { CallIndex } from './call-index.js';
import type { CallInstance, CallMachines } from './call-kind.js';
import type { CallRecordsRepository } from './call-records.repository.js';
import { type PublicCallView, publicCallView } from './call-view.js';

export interface CallTimings {
  ringTimeoutMs: number;
  billingIntervalMs: number;
  disconnectGraceMs: number;
  diamondsPerPoint: number;
}

export interface CallsServiceDeps {
  db: Db;
  /** The call machines (`runtime.of(CALL)`). */
  machines: CallMachines;
  callIndex: CallIndex;
  records: CallRecordsRepository;
  users: UsersService;
  timings: CallTimings;
  /** Charges one minute through the ledger (idempotent per call and minute). */
  chargeMinute(charge: MinuteCharge): Promise<MinuteResult>;
}

/** The answer of create_room with a guestId that names no call of the anchor waiting for a room (spec §7). */
export const NO_CALL_WAITING = '没有待接通的通话';

type PartyEvent = Extract<CallEvent, { by: number }>['type'];

/**
 * The paid-call flow as the apps drive it: apply, accept, reply, start, hang up. Each operation
 * checks who may do it to whom, then sends one event to the call's machine; an event the machine
 * refuses in its current state is a 409 that names the state.
 */
export function createCallsService(deps: CallsServiceDeps) {
  const { machines, callIndex } = deps;

  async function snapshotOf(callId: string): Promise<CallSnapshot | null> {
    return (await machines.get(callId))?.snapshot ?? null;
  }

  async function contextOf(callId: string): Promise<CallContext | null> {
    return (await snapshotOf(callId))?.context ?? null;
  }

  /** A busy marker whose call has already finished (a crash between end and release) is freed. */
  async function claimParties(callId: string, guestId: number, anchorId: number): Promise<void> {
    for (let attempt = 0; attempt < 2; attempt++) {
      const holder = await callIndex.claim(callId, guestId, anchorId);
      if (holder === null) return;
      const snapshot = await snapshotOf(holder);
      const alive = snapshot
        ? snapshot.value !== 'ended' && snapshot.value !== 'settled'
        : await callIndex.isBeingCreated(holder);
      if (alive) throw conflict('busy: already in a call');
      await callIndex.release(holder, guestId, anchorId);
    }
    throw conflict('busy: already in a call');
  }

  async function apply(caller: User, targetUserId: number, initiator: CallParty): Promise<PublicCallView> {
    const targetRole = initiator === 'guest' ? 'anchor' : 'guest';
    if (caller.id === targetUserId) throw badRequest('cannot call yourself', 'targetUserId');
    requireAllowed('mayCall', caller, 'you are banned');
    // Independent round trips, taken together; an unused call id is only a gap in the sequence.
    const [target, callId] = await Promise.all([deps.users.find(targetUserId), deps.records.nextCallId()]);
    if (!target || target.role !== targetRole)
      throw notFound(`no ${targetRole} ${targetUserId}`, 'targetUserId');
    requireAllowed('mayCall', target, `the ${targetRole} is banned`);
    const [guest, anchor] = initiator === 'guest' ? [caller, target] : [target, caller];

    await claimParties(callId, guest.id, anchor.id);
    const input: CallInput = {
      callId,
      guestId: guest.id,
      anchorId: anchor.id,
      initiator,
      unitPricePoints: anchor.unitPrice,
      unitPriceDiamonds: diamondPriceOf(anchor.unitPrice, deps.timings.diamondsPerPoint),
      ringTimeoutMs: deps.timings.ringTimeoutMs,
      billingIntervalMs: deps.timings.billingIntervalMs,
      disconnectGraceMs: deps.timings.disconnectGraceMs,
      at: Date.now(),
    };
    try {
      const created = await machines.create(callId, input, { actor: String(caller.id) });
      return created.view;
    } catch (error) {
      await callIndex.release(callId, guest.id, anchor.id);
      throw error;
    }
  }

  /** The caller's live call with `otherUserId` (as read from the runtime), or a 409 saying there is none. */
  async function callWith(user: User, otherUserId: number, field: string): Promise<CallInstance> {
    const callId = await callIndex.activeCallOf(user.id);
    const instance = callId ? await machines.get(callId) : null;
    if (!instance) throw conflict(`no active call with user ${otherUserId}`);
    const { context } = instance.snapshot;
    const other = partyOf(context, user.id) === 'guest' ? context.anchorId : context.guestId;
    if (other !== otherUserId) throw conflict(`your active call is not with user ${otherUserId} (${field})`);
    return instance;
  }

  async function sendByParty(
    instance: CallInstance,
    type: PartyEvent,
    by: number,
    details: Record<string, unknown> = {},
  ): Promise<PublicCallView> {
    const callId = instance.snapshot.context.callId;
    // The instance was just read: the runtime starts from it instead of reading it again.
    const result = await machines.send(
      callId,
      { type, by, ...details },
      { actor: String(by), basis: instance },
    );
    if (!result.applied) {
      throw conflict(`call ${callId} is ${String(result.snapshot.value)}: ${type} does not apply`);
    }
    return result.view;
  }

  return {
    contextOf,
    snapshotOf,

    /** callGirl / callApplyGirl: a guest rings an anchor. */
    applyToAnchor: (guest: User, anchorId: number) => apply(guest, anchorId, 'guest'),

    /** callApplyMan: an anchor rings a guest. */
    applyToGuest: (anchor: User, guestId: number) => apply(anchor, guestId, 'anchor'),

    /**
     * create_room with guestId, first half: the anchor's call with this guest that is still waiting
     * for its room (ringing or accepted, no room yet), as just read; 409 `没有待接通的通话` otherwise.
     */
    async callWaitingForRoom(anchorId: number, guestId: number): Promise<CallInstance> {
      const callId = await callIndex.activeCallOf(anchorId);
      const instance = callId ? await machines.get(callId) : null;
      const snapshot = instance?.snapshot;
      const waiting =
        instance &&
        snapshot &&
        snapshot.context.anchorId === anchorId &&
        snapshot.context.guestId === guestId &&
        snapshot.can({ type: 'ROOM_CREATED', by: anchorId, roomId: 'probe', at: Date.now() });
      if (!waiting) throw conflict(NO_CALL_WAITING);
      return instance;
    },

    /** create_room with guestId, second half: the room is the call's (a guest's call is accepted by it). */
    async bindRoom(instance: CallInstance, anchorId: number, roomId: string): Promise<PublicCallView> {
      const callId = instance.snapshot.context.callId;
      const result = await machines.send(
        callId,
        { type: 'ROOM_CREATED', by: anchorId, roomId },
        { actor: String(anchorId), basis: instance },
      );
      if (!result.applied) throw conflict(NO_CALL_WAITING);
      return result.view;
    },

    /** A party's pusher in the call's room started (connected) or stopped: the machine runs the grace period. */
    async streamChanged(callId: string, userId: number, connected: boolean): Promise<void> {
      const context = await contextOf(callId);
      const party = context ? partyOf(context, userId) : null;
      if (!party) return;
      await machines.send(
        callId,
        { type: connected ? 'RECONNECTED' : 'DISCONNECTED', party },
        { actor: `stream:${userId}` },
      );
    },

    /** callReplyGirl: the guest answers an anchor's call. */
    async reply(guest: User, anchorId: number, agree: boolean): Promise<PublicCallView> {
      const instance = await callWith(guest, anchorId, 'targetUserId');
      if (instance.snapshot.context.initiator !== 'anchor')
        throw conflict('this call was not made by the anchor');
      return sendByParty(instance, agree ? 'ACCEPT' : 'REFUSE', guest.id);
    },

    /**
     * startCall: the anchor goes live once the first minute is paid. The charge itself decides, not
     * a balance read before it (a gift could spend the diamonds in between): the minute is charged
     * under its ledger key first (with the facts a lost call is settled from), and only a charged
     * minute lets START through. START says what was paid, so the machine's charge of minute 1 on
     * entering `live` costs no second statement.
     */
    async start(anchor: User, guestId: number): Promise<PublicCallView> {
      requireAllowed('mayCall', anchor, 'you are banned');
      const instance = await callWith(anchor, guestId, 'targetUserId');
      const snapshot = instance.snapshot;
      const at = Date.now();
      if (!snapshot.can({ type: 'START', by: anchor.id, at }))
        return sendByParty(instance, 'START', anchor.id);
      const { context } = snapshot;
      const { outcome, guestDiamonds } = await deps.chargeMinute({
        callId: context.callId,
        minute: 1,
        guestId: context.guestId,
        anchorId: context.anchorId,
        diamonds: context.unitPriceDiamonds,
        points: context.unitPricePoints,
        call: {
          initiator: context.initiator,
          createdAt: context.at,
          acceptedAt: context.acceptedAt ?? null,
          startedAt: at,
          roomId: context.roomId ?? null,
        },
      });
      if (outcome === 'insufficient')
        throw paymentRequired(
          `the guest cannot pay the first minute (${context.unitPriceDiamonds} diamonds)`,
        );
      return sendByParty(instance, 'START', anchor.id, { at, firstMinutePaid: { guestDiamonds } });
    },

    /** hangUpMan / hangUpGirl: either party ends the call (cancel, refuse or hang up, by state). */
    async hangUp(user: User, otherUserId: number): Promise<PublicCallView> {
      return sendByParty(await callWith(user, otherUserId, 'targetUserId'), 'HANGUP', user.id);
    },

    /** getMatchInfo: the latest call of the anchor with this guest, from Redis. */
    async matchInfo(anchor: User, guestId: number): Promise<PublicCallView> {
      const callId = await callIndex.latestCallOfPair(anchor.id, guestId);
      const snapshot = callId ? await snapshotOf(callId) : null;
      if (!snapshot) throw notFound(`no call with guest ${guestId}`, 'targetUserId');
      return publicCallView(snapshot);
    },

    /** The user's active call, if any (call:sync, reconnects). */
    async activeCallView(userId: number): Promise<PublicCallView | null> {
      const callId = await callIndex.activeCallOf(userId);
      const snapshot = callId ? await snapshotOf(callId) : null;
      return snapshot ? publicCallView(snapshot) : null;
    },

    /** A party's sockets all dropped, or one came back: the machine runs the grace period. */
    async presenceChanged(userId: number, connected: boolean): Promise<void> {
      const callId = await callIndex.activeCallOf(userId);
      const context = callId ? await contextOf(callId) : null;
      const party = context ? partyOf(context, userId) : null;
      if (!callId || !party) return;
      await machines.send(
        callId,
        { type: connected ? 'RECONNECTED' : 'DISCONNECTED', party },
        {
          actor: String(userId),
        },
      );
    },
  };
}

export type CallsService = ReturnType<typeof createCallsService>;
