/** Socket.IO event names and payloads, `domain:verb`, shared by the server and the tests' clients. */
export interface ServerToClientEvents {
  /** The call's public view; for the guest, `lowBalance: true` (+ `diamond`, `paidUntil`) when the next minute cannot be paid. */
  'call:update': (view: Record<string, unknown>) => void;
  /** A gift sent by the guest to the anchor (src/gifts/gift-push.ts), to both parties. */
  'call:gift': (gift: Record<string, unknown>) => void;
  'room:update': (view: Record<string, unknown>) => void;
  /** QLive: someone sent a gift in the room (to everyone in it). */
  'room:gift': (gift: Record<string, unknown>) => void;
  /** QLive: a mic seat changed hands: `{liveId, seat, userId | null, playUrl}`. */
  'room:seat': (seat: Record<string, unknown>) => void;
  /** What a machine announced to this user or room: QLive's IM messages `{type, content}` (num, reset, over). */
  'machine:notice': (notice: { type: string; content: unknown }) => void;
  'wallet:update': (wallet: Record<string, unknown>) => void;
  'user:warn': (warning: { message: string }) => void;
  'admin:machine': (transition: Record<string, unknown>) => void;
  /**
   * This process is shutting down (a deploy, a rolling restart): the connection closes right after,
   * the client reconnects by itself (to another process behind the load balancer) and Socket.IO's
   * connection state recovery replays what it missed.
   */
  'server:restart': (hint: { reconnect: true; reconnectAfterMs: number }) => void;
}

export interface ClientToServerEvents {
  /** Asks for the current state of the caller's active call; answered through the ack. */
  'call:sync': (ack: (view: Record<string, unknown> | null) => void) => void;
}

export interface SocketData {
  userId: number;
  /** The token's hash (never the token): a logout closes the sockets it opened. */
  tokenHash: string;
}

export const userRoom = (userId: number) => `user:${userId}`;
/** Every socket opened with a token joins its room, so a logout closes exactly what the token opened. */
export const tokenRoom = (tokenHash: string) => `token:${tokenHash}`;
export const callRoom = (callId: string) => `call:${callId}`;
export const liveRoom = (roomId: string) => `room:${roomId}`;
export const ADMIN_ROOM = 'admin';
/** The admin panel's namespace: its middleware checks the admin token (src/admin/admin-socket.ts). */
export const ADMIN_NAMESPACE = '/admin';
