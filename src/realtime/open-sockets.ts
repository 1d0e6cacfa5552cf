import { userRoom } from './events.js';
import type { AppSocketServer } from './socket-server.js';

/** One open Socket.IO connection of a user, as the admin panel lists it. */
export interface OpenSocket {
  id: string;
  address: string;
  /** When the connection was made (epoch ms). */
  connectedAt: number;
  userAgent: string;
  /** The rooms it is in (its user room, a call's, a live room's). */
  rooms: string[];
}

/** The user's open sockets in every server process (the adapter asks the others), for the admin panel. */
export async function openSocketsOf(io: AppSocketServer, userId: number): Promise<OpenSocket[]> {
  const sockets = await io.in(userRoom(userId)).fetchSockets();
  return sockets.map((socket) => ({
    id: socket.id,
    address: socket.handshake.address,
    connectedAt: socket.handshake.issued,
    userAgent: String(socket.handshake.headers['user-agent'] ?? ''),
    // The token room names a token's hash: of no use to an operator, so not shown.
    rooms: [...socket.rooms].filter((room) => room !== socket.id && !room.startsWith('token:')),
  }));
}
