import type { AdminWatchers } from '../realtime/admin-watchers.js';
import { ADMIN_NAMESPACE, ADMIN_ROOM } from '../realtime/events.js';
import type { AppSocketServer } from '../realtime/socket-server.js';
import { isAdminToken } from './admin-auth.js';

/**
 * The panel's own Socket.IO namespace: users authenticate on `/` with their API token, the panel
 * on `/admin` with the admin token (`auth: {token}`), and joins the admin room that every machine
 * transition is pushed to (`admin:machine`). A wrong token is refused with `unauthorized`. The
 * pushes are sent only while a panel is open somewhere (`watchers`); the first panel anywhere is
 * let in once every process knows.
 */
export function attachAdminNamespace(io: AppSocketServer, adminToken: string, watchers: AdminWatchers): void {
  const admin = io.of(ADMIN_NAMESPACE);
  admin.use((socket, next) => {
    const token = (socket.handshake.auth as { token?: unknown } | undefined)?.token;
    if (typeof token !== 'string' || !isAdminToken(token, adminToken)) return next(new Error('unauthorized'));
    watchers.admitting().then(
      () => next(),
      () => next(new Error('unavailable')),
    );
  });
  admin.on('connection', (socket) => {
    watchers.joined();
    socket.on('disconnect', () => watchers.left());
    void socket.join(ADMIN_ROOM);
  });
}
