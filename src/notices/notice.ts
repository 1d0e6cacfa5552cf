/**
 * A notice as a machine announces it (see machines/room.ts `announce`): who it is for and the
 * message itself. Channels deliver it as it is; none of them interprets what it says.
 */
export interface Notice {
  /** One user, or everyone in a room (its Socket.IO room and its Tencent IM group). */
  audience: { userId: number } | { roomId: string; groupId: string };
  /** The message: `{content, type}`, as QLive's IM messages are. */
  message: { content: unknown; type: string };
}

/** Where a notice came from, for idempotent delivery and ordering. */
export interface NoticeOrigin {
  /** Stable across re-runs of the effect that delivers it (the runtime's `idempotencyKey`). */
  id: string;
  /** Notices with the same key reach their audience in the order they were announced. */
  orderKey: string;
}

export type NoticeChannel = (notice: Notice, origin: NoticeOrigin) => Promise<void>;
