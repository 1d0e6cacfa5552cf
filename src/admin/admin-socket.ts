import { ADMIN_NAMESPACE, ADMIN_ROOM } from '../realtime/events.js';
import type { AppSocketServer } from '../realtime/socket-server.js';
import { isAdminToken } from './admin-auth.js';

/**
 * The panel's own Socket.IO namespace: users authenticate on `/` with their API token, the panel
 * on `/admin` with the admin token (`auth: {token}`), and joins the admin room that every machine
 * transition is pushed to (`admin:machine`). A wrong token is refused with `unauthorized`.
 */
export function attachAdminNamespace(io: AppSocketServer, adminToken: string): void {
  const admin = io.of(ADMIN_NAMESPACE);
  admin.use((socket, next) => {
    const token = (socket.handshake.auth as { token?: unknown } | undefined)?.token;
    if (typeof token === 'string' && isAdminToken(token, adminToken)) return next();
    next(new Error('unauthorized'));
  });
  admin.on('connection', (socket) => {
    void socket.join(ADMIN_ROOM);
  });
}
