import type { CallParty, CallSnapshot } from '../../machines/call.js';
import {
  diamondsPerMinute,
  earnedPointsText,
  minutesText,
  pointsPerMinute,
  spentDiamondsText,
} from '../billing/display.js';
import { balanceOf } from '../billing/ledger.js';
import type { Db } from '../db/client.js';
import type { CallRecord, User } from '../db/schema/index.js';
import { conflict, forbidden, notFound } from '../errors.js';
import type { UsersService } from '../users/users.service.js';
import type { CallRecordsRepository } from './call-records.repository.js';
import { bannedEndedBy } from './settlement.js';

export interface SettlementScreensDeps {
  db: Db;
  records: CallRecordsRepository;
  users: Pick<UsersService, 'find'>;
  /** The call's machine snapshot while it is still in Redis. */
  snapshotOf(callId: string): Promise<CallSnapshot | null>;
  /** How long a request for a call that has ended but not settled yet waits for its record. */
  waitMs?: number;
}

interface Common {
  roomInstanceId: number;
  reason: string;
  nickname: string;
  headImg: string;
  unitPrice: string;
  callTime: string;
  title?: string;
  streamStatus?: number;
}

export type GuestScreen = Common & { callDiamond: string; diamond: string };
export type MasterScreen = Common & { callPoint: string; point: string };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * getCallResultGuest / getCallResultMaster: the settlement of one call as each party's app shows
 * it, from the written call record (never from the machine) and the live balances.
 *
 * Only the call's guest (resp. anchor) may read it: unknown id 404, someone else's call 403. A
 * call still ringing or live answers 409; one that has ended but whose record is still being
 * written (another process is settling it) is waited for briefly, then 409 "not settled yet".
 */
export function createSettlementScreens(deps: SettlementScreensDeps) {
  const waitMs = deps.waitMs ?? 2_000;

  async function waitForRecord(callId: number): Promise<CallRecord | null> {
    const deadline = Date.now() + waitMs;
    for (;;) {
      const record = await deps.records.find(callId);
      if (record || Date.now() >= deadline) return record;
      await sleep(100);
    }
  }

  async function settledRecord(user: User, callId: number, side: CallParty): Promise<CallRecord> {
    const partyId = (call: { guestId: number; anchorId: number }) =>
      side === 'guest' ? call.guestId : call.anchorId;
    const notYours = () => forbidden(`call ${callId} is not yours (you are not its ${side})`);

    const record = await deps.records.find(callId);
    if (record) {
      if (partyId(record) !== user.id) throw notYours();
      return record;
    }
    const snapshot = await deps.snapshotOf(String(callId));
    if (!snapshot) throw notFound(`no call ${callId}`, 'roomInstanceId');
    if (partyId(snapshot.context) !== user.id) throw notYours();
    if (snapshot.value !== 'ended' && snapshot.value !== 'settled') {
      throw conflict(`call ${callId} is ${String(snapshot.value)}: its settlement comes when it ends`);
    }
    const settled = await waitForRecord(callId);
    if (!settled) throw conflict(`call ${callId} has ended but is not settled yet; ask again shortly`);
    return settled;
  }

  async function common(user: User, record: CallRecord, otherId: number, unitPrice: string): Promise<Common> {
    const other = await deps.users.find(otherId);
    // Both screens show why the call ended (`title`); only the banned party's carries `streamStatus`,
    // because an app acts on it (0 logs the user out): the other party was not banned.
    const endedByBan = record.banStreamStatus !== null;
    const banned = endedByBan && record.endedBy === bannedEndedBy(user.id);
    return {
      roomInstanceId: record.id,
      reason: record.endReason,
      nickname: other?.nickname ?? '',
      headImg: other?.headImg ?? '',
      unitPrice,
      callTime: minutesText(record.minutes),
      ...(endedByBan ? { title: record.banTitle ?? '' } : {}),
      ...(banned ? { streamStatus: record.banStreamStatus ?? 0 } : {}),
    };
  }

  return {
    async guest(guest: User, roomInstanceId: number): Promise<GuestScreen> {
      const record = await settledRecord(guest, roomInstanceId, 'guest');
      return {
        ...(await common(guest, record, record.anchorId, diamondsPerMinute(record.unitPriceDiamonds))),
        callDiamond: spentDiamondsText(record.diamonds),
        diamond: String(await balanceOf(deps.db, guest.id, 'diamond')),
      };
    },

    async master(anchor: User, roomInstanceId: number): Promise<MasterScreen> {
      const record = await settledRecord(anchor, roomInstanceId, 'anchor');
      return {
        ...(await common(anchor, record, record.guestId, pointsPerMinute(record.unitPricePoints))),
        callPoint: earnedPointsText(record.points),
        point: String(await balanceOf(deps.db, anchor.id, 'point')),
      };
    },
  };
}

export type SettlementScreens = ReturnType<typeof createSettlementScreens>;
