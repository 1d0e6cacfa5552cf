/** The real services the suite runs against (the CI machine has both running; .ci/run starts them if not). */
export const TEST_POSTGRES_URL =
  process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A unique, recognisable name for one test file's database and Redis prefix. */
export function uniqueName(label: string): string {
  const safe = label
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .slice(0, 20);
  return `t_${safe}_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
}
