/**
 * Notices as the machines declare them (machines/notices.ts): a message is said on every channel,
 * an update only to our websocket clients. Channels deliver them as they are; none of them
 * interprets what a notice says or knows what a call or a room is.
 */
export type {
  Audience,
  CallAudience,
  EventNotice,
  MembershipNotice,
  MessageNotice,
  QliveMessage,
  RoomAudience,
  UpdateNotice,
  UserAudience,
} from '../../machines/notices.js';

import type { MessageNotice } from '../../machines/notices.js';

/** Where a message came from, for idempotent delivery and ordering. */
export interface NoticeOrigin {
  /** Stable across re-runs of the effect that delivers it (the runtime's `idempotencyKey`). */
  id: string;
  /** Notices with the same key reach their audience in the order they were announced. */
  orderKey: string;
}

/** A channel that delivers messages (Tencent IM, Socket.IO). */
export type NoticeChannel = (notice: MessageNotice, origin: NoticeOrigin) => Promise<void>;
