/**
 * What this machine can do at all, measured in the same run as the real server: a bare Fastify JSON
 * route, a bare Redis GET+SET route and a bare Postgres conditional UPDATE + INSERT route. Every
 * figure of the server is reported as a ratio to these.
 */
import Fastify from 'fastify';
import { Redis } from 'ioredis';
import pg from 'pg';
import { Server } from 'socket.io';

const port = Number(process.env.PORT ?? 0);
const databaseUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
const prefix = process.env.REDIS_PREFIX ?? 'bench-ceiling:';
const pool = new pg.Pool({ connectionString: databaseUrl, max: 10 });

await pool.query(`create table if not exists bench_ceiling_accounts (id int primary key, balance bigint not null check (balance >= 0));
  create table if not exists bench_ceiling_entries (id bigserial primary key, account_id int not null, amount bigint not null, created_at timestamptz default now());
  insert into bench_ceiling_accounts (id, balance) select g, 1000000000 from generate_series(1, 1000) g on conflict do nothing;`);

const app = Fastify();
app.get('/json', async () => ({ code: 0, message: 'success', matchStatus: 1 }));
app.post('/redis', async () => {
  const key = `${prefix}k${Math.floor(Math.random() * 1000)}`;
  const value = await redis.get(key);
  await redis.set(key, String(Number(value ?? 0) + 1));
  return { code: 0, value };
});
/** The same work as a ledger debit: a conditional UPDATE and an INSERT in one transaction (4 round trips). */
app.post('/postgres', async () => {
  const client = await pool.connect();
  try {
    const id = 1 + Math.floor(Math.random() * 1000);
    await client.query('begin');
    const updated = await client.query(
      'update bench_ceiling_accounts set balance = balance - 1 where id = $1 and balance >= 1 returning balance',
      [id],
    );
    await client.query('insert into bench_ceiling_entries (account_id, amount) values ($1, -1)', [id]);
    await client.query('commit');
    return { code: 0, balance: updated.rows[0]?.balance };
  } catch (error) {
    await client.query('rollback').catch(() => {});
    throw error;
  } finally {
    client.release();
  }
});

const address = await app.listen({ port, host: '127.0.0.1' });
// A bare Socket.IO server on the same port: the memory one idle socket costs the library itself.
const io = new Server(app.server);
io.on('connection', (socket) => {
  void socket.join(`user:${socket.id}`);
});
console.log(JSON.stringify({ ready: address }));
const shutdown = async () => {
  io.disconnectSockets(true);
  await app.close();
  await pool.end();
  redis.disconnect();
  process.exit(0);
};
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
