import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../helpers/app.js';

let server: TestServer;
let sql: pg.Client;
beforeAll(async () => {
  server = await startTestServer('user_rows');
  sql = new pg.Client({ connectionString: server.databaseUrl });
  await sql.connect();
});
afterAll(async () => {
  await sql?.end();
  await server?.close();
});

/** Postgres statements this server sends while `read` runs. */
async function statementsFor(read: () => Promise<unknown>): Promise<number> {
  const before = server.context.database.statementsSent() ?? 0;
  await read();
  return (server.context.database.statementsSent() ?? 0) - before;
}

describe("users' rows in memory", () => {
  it('serves a user read again from memory, and a change made by hand in SQL from the next request on', async () => {
    const guest = await server.createUser({ role: 'guest', diamond: 1_000 });
    const anchor = await server.createUser({ role: 'anchor', nickname: 'Before' });
    const { users } = server.context;
    await users.find(anchor.userId);
    expect(await statementsFor(() => users.find(anchor.userId))).toBe(0);

    await sql.query(`update users set nickname = 'After' where id = $1`, [anchor.userId]);
    await expect.poll(async () => (await users.find(anchor.userId))?.nickname).toBe('After');

    // Her row is in memory again; a ban by hand holds from the very next request.
    expect(await statementsFor(() => users.find(anchor.userId))).toBe(0);
    await sql.query(`update users set ban_state = 'account' where id = $1`, [anchor.userId]);
    const refused = await server.request('POST', '/app/live/callApplyGirl', {
      body: { token: guest.token, targetUserId: anchor.userId },
    });
    expect(refused.status).toBe(403);
  });

  it('reads every row from Postgres while it cannot hear changes, and keeps them again once it hears', async () => {
    const guest = await server.createUser({ role: 'guest' });
    const { users } = server.context;
    await users.find(guest.userId);
    expect(await statementsFor(() => users.find(guest.userId))).toBe(0);

    // The LISTEN connection is cut: changes made meanwhile would go unheard, so nothing is served from memory.
    const cut = await sql.query(
      `select pg_terminate_backend(pid) from pg_stat_activity
        where datname = current_database() and query ilike 'LISTEN users_changed%'`,
    );
    expect(cut.rowCount).toBe(1);
    await expect.poll(() => statementsFor(() => users.find(guest.userId))).toBe(1);
    await sql.query(`update users set nickname = 'Unheard' where id = $1`, [guest.userId]);
    expect((await users.find(guest.userId))?.nickname).toBe('Unheard');

    // It listens again by itself, then serves from memory again.
    await expect.poll(() => statementsFor(() => users.find(guest.userId)), { timeout: 10_000 }).toBe(0);
    expect((await users.find(guest.userId))?.nickname).toBe('Unheard');
  });

  it('hands out rows nobody can change in place (they are shared between requests)', async () => {
    const guest = await server.createUser({ role: 'guest' });
    const row = await server.context.users.find(guest.userId);
    expect(Object.isFrozen(row)).toBe(true);
  });
});
