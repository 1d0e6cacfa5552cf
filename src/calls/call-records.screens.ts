import {
  chinaDateTime,
  diamondsPerMinute,
  earnedPointsText,
  minutesText,
  pointsPerMinute,
  pointsText,
  spentDiamondsText,
} from '../billing/display.js';
import { incomeOf } from '../billing/income.js';
import type { Db } from '../db/client.js';
import type { User } from '../db/schema/index.js';
import { notFound } from '../errors.js';
import type { UsersService } from '../users/users.service.js';
import type { CallRecordsRepository } from './call-records.repository.js';

export interface RecordScreensDeps {
  db: Db;
  records: CallRecordsRepository;
  users: Pick<UsersService, 'find'>;
}

/**
 * myCallRecord, getCallRecordDesc and getMyIncome: a user's own call records, newest first, and an
 * anchor's income. Times are China time (Asia/Shanghai) of when the call was placed. A record the
 * caller is not a party of is answered as unknown (404), so ids reveal nothing.
 */
export function createRecordScreens(deps: RecordScreensDeps) {
  return {
    async list(user: User, page: number, pageSize: number) {
      const rows = await deps.records.listWithOtherParty(user.id, pageSize, (page - 1) * pageSize);
      return rows.map(({ record, other }) => ({
        userId: other.id,
        recordId: record.id,
        nickName: other.nickname,
        recordDatetime: chinaDateTime(record.createdAt),
        age: String(other.age),
        imgUrl: other.headImg,
        status: record.status,
        callTime: minutesText(record.minutes),
      }));
    },

    /** The documented fields are the anchor's view (points); a guest also gets his diamond side. */
    async detail(user: User, recordId: number) {
      const record = await deps.records.findForParty(recordId, user.id);
      if (!record) throw notFound(`no call record ${recordId}`, 'recordId');
      const isGuest = record.guestId === user.id;
      const other = await deps.users.find(isGuest ? record.anchorId : record.guestId);
      return {
        recordId: record.id,
        nickname: other?.nickname ?? '',
        age: other?.age ?? 0,
        headImg: other?.headImg ?? '',
        recordTime: chinaDateTime(record.createdAt),
        status: record.status,
        unitPrice: pointsPerMinute(record.unitPricePoints),
        callTime: minutesText(record.minutes),
        callPoint: earnedPointsText(record.points),
        ...(isGuest
          ? {
              unitPriceDiamond: diamondsPerMinute(record.unitPriceDiamonds),
              callDiamond: spentDiamondsText(record.diamonds),
            }
          : {}),
      };
    },

    async income(anchor: User) {
      const income = await incomeOf(deps.db, anchor.id);
      return {
        point: pointsText(income.callPoints + income.giftPoints),
        callTime: minutesText(income.minutes),
        callIncome: pointsText(income.callPoints),
        giftIncome: pointsText(income.giftPoints),
      };
    },
  };
}

export type RecordScreens = ReturnType<typeof createRecordScreens>;
