import type pg from 'pg';

/**
 * Counts the statements this process sends to Postgres. node-postgres sends each `query` as one
 * round trip (it does not pipeline), so the count is both statements and round trips; the bench and
 * the call-setup cost test read it to show what a request costs the database.
 */
export function countStatements(pool: pg.Pool): () => number {
  let statements = 0;
  pool.on('connect', (client) => {
    const query = client.query.bind(client) as (...args: unknown[]) => unknown;
    (client as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
      statements++;
      return query(...args);
    };
  });
  return () => statements;
}
