/** Socket.IO event names and payloads, `domain:verb`, shared by the server and the tests' clients. */
export interface ServerToClientEvents {
  'call:update': (view: Record<string, unknown>) => void;
  'room:update': (view: Record<string, unknown>) => void;
  'room:gift': (gift: Record<string, unknown>) => void;
  'wallet:update': (wallet: Record<string, unknown>) => void;
  'user:warn': (warning: { message: string }) => void;
  'admin:machine': (transition: Record<string, unknown>) => void;
}

export interface ClientToServerEvents {
  /** Asks for the current state of the caller's active call; answered through the ack. */
  'call:sync': (ack: (view: Record<string, unknown> | null) => void) => void;
}

export interface SocketData {
  userId: number;
}

export const userRoom = (userId: number) => `user:${userId}`;
export const callRoom = (callId: string) => `call:${callId}`;
export const liveRoom = (roomId: string) => `room:${roomId}`;
export const ADMIN_ROOM = 'admin';
