import type pg from 'pg';

/**
 * Makes a checked-out connection that dies (the server terminated it, the network dropped) give its
 * pool slot back. drizzle's `transaction()` only releases its client if `begin` succeeded, so a
 * connection cut at that moment would never be released: the pool would shrink by one each time and
 * `pool.end()` would wait for ever. Here every checkout gets an idempotent `release` that also runs,
 * with the error (so the pool discards the connection), when the connection errors or ends.
 */
export function guardPoolCheckouts(pool: pg.Pool): void {
  const connect = pool.connect.bind(pool) as (
    callback?: (
      error: Error | undefined,
      client: pg.PoolClient | undefined,
      done: (release?: unknown) => void,
    ) => void,
  ) => Promise<pg.PoolClient> | undefined;

  const guard = (client: pg.PoolClient): pg.PoolClient => {
    const release = client.release;
    let released = false;
    const releaseOnce = (error?: Error | boolean) => {
      if (released) return;
      released = true;
      client.off('error', onBroken);
      client.off('end', onEnded);
      release(error);
    };
    const onBroken = (error: Error) => releaseOnce(error);
    const onEnded = () => releaseOnce(new Error('connection ended while checked out'));
    client.on('error', onBroken);
    client.on('end', onEnded);
    client.release = releaseOnce;
    return client;
  };

  (pool as { connect: unknown }).connect = (
    callback?: (
      error: Error | undefined,
      client: pg.PoolClient | undefined,
      done: (release?: unknown) => void,
    ) => void,
  ) => {
    if (!callback) return (connect() as Promise<pg.PoolClient>).then(guard);
    connect((error, client, done) => {
      if (error || !client) return callback(error, client, done);
      const guarded = guard(client);
      callback(undefined, guarded, (releaseError?: unknown) =>
        guarded.release(releaseError as Error | undefined),
      );
    });
    return undefined;
  };
}
