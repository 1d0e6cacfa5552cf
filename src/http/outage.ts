/**
 * Recognises errors that mean a backing service (Postgres, Redis) is unreachable rather than a bug:
 * those are answered 503 so clients retry, not 500.
 */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'EAI_AGAIN',
]);

// Postgres SQLSTATE classes 08 (connection exception) and 57P (operator intervention: shutdown, crash).
const POSTGRES_UNAVAILABLE = /^(08|57P)/;

const MESSAGES = [
  /Connection is closed/i,
  /Reached the max retries per request limit/i,
  /Stream isn't writeable and enableOfflineQueue options is false/i,
  /Connection terminated/i,
  /timeout exceeded when trying to connect/i,
  /Client has encountered a connection error/i,
  /Cannot use a pool after calling end/i,
];

export function isOutage(error: unknown, depth = 0): boolean {
  if (!error || typeof error !== 'object' || depth > 4) return false;
  const candidate = error as {
    code?: unknown;
    message?: unknown;
    name?: unknown;
    cause?: unknown;
    errors?: unknown;
  };
  if (
    typeof candidate.code === 'string' &&
    (NETWORK_CODES.has(candidate.code) || POSTGRES_UNAVAILABLE.test(candidate.code))
  ) {
    return true;
  }
  if (candidate.name === 'MaxRetriesPerRequestError') return true;
  if (
    typeof candidate.message === 'string' &&
    MESSAGES.some((pattern) => pattern.test(candidate.message as string))
  ) {
    return true;
  }
  if (Array.isArray(candidate.errors) && candidate.errors.some((inner) => isOutage(inner, depth + 1)))
    return true;
  return isOutage(candidate.cause, depth + 1);
}
