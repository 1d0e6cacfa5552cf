/**
 * What the panel tells an operator about a running instance beyond its state, per kind: a live
 * summary (a call's minutes, money and paid-until; a room's seats and gifts), its members with the
 * admin actions each would take now, and the input it started from (time travel replays from it).
 * Every action shown as possible is asked of the machine itself with the exact event the action
 * route sends (`snapshot.can`), nothing applied.
 */
import type { AnyMachineSnapshot, AnyStateMachine, SnapshotFrom } from 'xstate';
import type { CallInput, callMachine } from '../../machines/call.js';
import type { LiveRoomInput, liveRoomMachine } from '../../machines/live-room.js';
import { type RoomInput, type roomMachine, seatOf } from '../../machines/room.js';
import type { LedgerTotals } from './machine-ledger.js';
import type { PanelKind } from './machine-registry.js';

export interface SummaryFact {
  key: string;
  label: string;
  value: string | number | null;
  /** How the panel shows the value: as is, a local time, a countdown to it, a duration. */
  format: 'text' | 'time' | 'deadline' | 'duration';
}

export interface Member {
  userId: number;
  role: string;
  seat: string | null;
  joinedAt: number | null;
  disconnected: boolean;
  /** Which per-member admin actions the machine would take now. */
  actions: { removeFromMic: boolean; remove: boolean; ban: boolean };
}

export interface InsightInput {
  snapshot: AnyMachineSnapshot;
  ledger: LedgerTotals;
  /** Balances of the parties, per user id and currency. */
  balances: Map<number, Record<string, number>>;
}

export interface KindInsights {
  summary(input: InsightInput): SummaryFact[];
  members?(snapshot: AnyMachineSnapshot): Member[];
  /** The input `initialTransition` took, recovered from the context (which starts as a copy of it). */
  inputOf(snapshot: AnyMachineSnapshot): unknown;
}

/** One kind's insights, checked against its machine's snapshot type, then erased for the table below. */
function insights<M extends AnyStateMachine>(spec: {
  summary(input: Omit<InsightInput, 'snapshot'> & { snapshot: SnapshotFrom<M> }): SummaryFact[];
  members?(snapshot: SnapshotFrom<M>): Member[];
  inputOf(snapshot: SnapshotFrom<M>): unknown;
}): KindInsights {
  return spec as unknown as KindInsights;
}

const sumOf = (ledger: LedgerTotals, account: string, currency: string) =>
  ledger.byAccount
    .filter((leg) => leg.account === account && leg.currency === currency)
    .reduce((sum, leg) => sum + leg.amount, 0);

const pick = <T extends object>(source: T, keys: (keyof T)[]) =>
  Object.fromEntries(keys.filter((key) => key in source).map((key) => [key, source[key]]));

const CALL_INPUT: (keyof CallInput)[] = [
  'callId',
  'guestId',
  'anchorId',
  'initiator',
  'unitPricePoints',
  'unitPriceDiamonds',
  'ringTimeoutMs',
  'billingIntervalMs',
  'disconnectGraceMs',
  'at',
];
const ROOM_INPUT: (keyof RoomInput)[] = ['roomId', 'matchmakerId', 'roomName', 'groupId', 'graceMs', 'at'];

const LIVE_ROOM_INPUT: (keyof LiveRoomInput)[] = [
  'roomId',
  'roomInfo',
  'creator',
  'call',
  'maxPushers',
  'maxAudiences',
  'heartbeatTimeoutMs',
  'emptyRoomTimeoutMs',
  'at',
];

export const KIND_INSIGHTS: Record<PanelKind, KindInsights> = {
  // A RoomService room: its pushers (by IM id) and audience; a call's room names its call.
  live_room: insights<typeof liveRoomMachine>({
    summary({ snapshot }) {
      const c = snapshot.context;
      const facts: SummaryFact[] = [
        { key: 'creator', label: 'Creator', value: c.creator, format: 'text' },
        {
          key: 'pushers',
          label: 'Pushers',
          value: c.pushers.map((pusher) => pusher.userId).join(', ') || 'none',
          format: 'text',
        },
        { key: 'audience', label: 'Audience', value: c.audiences.length, format: 'text' },
        { key: 'call', label: 'Paid call', value: c.call?.callId ?? null, format: 'text' },
        { key: 'openedAt', label: 'Opened', value: c.at, format: 'time' },
      ];
      if (c.closedAt !== undefined)
        facts.push(
          { key: 'closedAt', label: 'Closed', value: c.closedAt, format: 'time' },
          { key: 'endReason', label: 'End reason', value: c.endReason ?? null, format: 'text' },
        );
      return facts;
    },
    inputOf: (snapshot) => pick(snapshot.context, LIVE_ROOM_INPUT),
  }),

  call: insights<typeof callMachine>({
    summary({ snapshot, ledger, balances }) {
      const c = snapshot.context;
      const live = snapshot.value === 'live';
      const facts: SummaryFact[] = [
        { key: 'minutes', label: 'Minutes charged', value: c.minutesStarted, format: 'text' },
        {
          key: 'price',
          label: 'Price',
          value: `${c.unitPricePoints} points / ${c.unitPriceDiamonds} diamonds a minute`,
          format: 'text',
        },
        {
          key: 'diamondsSpent',
          label: 'Diamonds spent',
          value: -sumOf(ledger, `user:${c.guestId}`, 'diamond'),
          format: 'text',
        },
        {
          key: 'pointsEarned',
          label: 'Points earned',
          value: sumOf(ledger, `user:${c.anchorId}`, 'point'),
          format: 'text',
        },
        {
          key: 'guestBalance',
          label: `Guest ${c.guestId}'s balance`,
          value: `${balances.get(c.guestId)?.diamond ?? 0} diamonds`,
          format: 'text',
        },
      ];
      if (c.startedAt !== undefined) {
        facts.push({ key: 'startedAt', label: 'Live since', value: c.startedAt, format: 'time' });
        const paidUntil = c.startedAt + c.minutesStarted * c.billingIntervalMs;
        facts.push({
          key: 'paidUntil',
          label: 'Paid until',
          value: paidUntil,
          format: live ? 'deadline' : 'time',
        });
      }
      if (c.endedAt !== undefined) {
        facts.push(
          { key: 'endedAt', label: 'Ended', value: c.endedAt, format: 'time' },
          { key: 'endReason', label: 'End reason', value: c.endReason ?? null, format: 'text' },
        );
        if (c.startedAt !== undefined)
          facts.push({ key: 'talked', label: 'Talked', value: c.endedAt - c.startedAt, format: 'duration' });
      }
      const gone = (['guest', 'anchor'] as const).filter((party) => c.disconnected[party]);
      if (gone.length)
        facts.push({ key: 'disconnected', label: 'Disconnected', value: gone.join(', '), format: 'text' });
      return facts;
    },
    inputOf: (snapshot) => pick(snapshot.context, CALL_INPUT),
  }),
  room: insights<typeof roomMachine>({
    summary({ snapshot, ledger }) {
      const c = snapshot.context;
      const income = ledger.byAccount
        .filter((leg) => leg.account.startsWith('user:') && leg.currency === 'income' && leg.amount > 0)
        .reduce((sum, leg) => sum + leg.amount, 0);
      const facts: SummaryFact[] = [
        { key: 'members', label: 'Members', value: Object.keys(c.members).length, format: 'text' },
        { key: 'applicants', label: 'Waiting for a mic', value: c.applicants.length, format: 'text' },
        { key: 'maleSeat', label: 'Male seat', value: c.seats.male ?? 'free', format: 'text' },
        { key: 'femaleSeat', label: 'Female seat', value: c.seats.female ?? 'free', format: 'text' },
        { key: 'gifts', label: 'Gift income', value: income, format: 'text' },
        { key: 'openedAt', label: 'Opened', value: c.at, format: 'time' },
      ];
      if (c.endedAt !== undefined)
        facts.push(
          { key: 'endedAt', label: 'Ended', value: c.endedAt, format: 'time' },
          { key: 'endReason', label: 'End reason', value: c.endReason ?? null, format: 'text' },
        );
      if (c.disconnected.length)
        facts.push({
          key: 'disconnected',
          label: 'In grace period',
          value: c.disconnected.join(', '),
          format: 'text',
        });
      return facts;
    },
    members(snapshot) {
      const c = snapshot.context;
      const at = Date.now();
      const can = (event: Record<string, unknown>) =>
        snapshot.status === 'active' && snapshot.can({ at, ...event } as never);
      const host: Member = {
        userId: c.matchmakerId,
        role: 'matchmaker',
        seat: null,
        joinedAt: c.at,
        disconnected: c.disconnected.includes(c.matchmakerId),
        actions: { removeFromMic: false, remove: false, ban: can({ type: 'BAN', userId: c.matchmakerId }) },
      };
      const members = Object.values(c.members)
        .sort((a, b) => a.joinedAt - b.joinedAt || a.userId - b.userId)
        .map((member): Member => {
          const seat = seatOf(c, member.userId);
          return {
            userId: member.userId,
            role: seat
              ? 'on the mic'
              : c.applicants.includes(member.userId)
                ? 'waiting for a mic'
                : 'audience',
            seat,
            joinedAt: member.joinedAt,
            disconnected: c.disconnected.includes(member.userId),
            actions: {
              removeFromMic: can({ type: 'LEAVE_SEAT', userId: member.userId, by: c.matchmakerId }),
              remove: can({ type: 'LEAVE', userId: member.userId }),
              ban: can({ type: 'BAN', userId: member.userId }),
            },
          };
        });
      return [host, ...members];
    },
    inputOf: (snapshot) => pick(snapshot.context, ROOM_INPUT),
  }),
};
