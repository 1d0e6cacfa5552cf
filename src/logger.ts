import { createRequire } from 'node:module';
import { type Logger, pino, type TransportSingleOptions } from 'pino';

export interface LogOutput {
  /** Whether stdout is a terminal. */
  isTTY: boolean;
  nodeEnv: string | undefined;
  /** Whether pino-pretty (a devDependency) is installed. */
  prettyInstalled: boolean;
}

function prettyInstalled(): boolean {
  try {
    createRequire(import.meta.url).resolve('pino-pretty');
    return true;
  } catch {
    return false;
  }
}

/**
 * Readable, coloured lines for a person at a terminal; JSON lines everywhere else (a pipe, a file,
 * a container's log collector). Production never pretty-prints and never needs pino-pretty, which
 * `npm ci --omit=dev` leaves out.
 */
export function prettyTransport(output: LogOutput): TransportSingleOptions | undefined {
  if (!output.isTTY || output.nodeEnv === 'production' || !output.prettyInstalled) return undefined;
  return {
    target: 'pino-pretty',
    options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' },
  };
}

/** Query parameters whose value is a credential, compared after decoding (`tok%65n` is `token`). */
const SECRET_PARAMETERS = new Set(['token', 'access_token', 'code', 'key', 'sign', 'password']);

/**
 * The URL as logged: the path, then the query as the server parsed it (so what the app accepted as a
 * token is what is hidden, however it was spelled), credentials replaced by `[redacted]`.
 */
export function redactedUrl(url: string, parsedQuery?: unknown): string {
  const mark = url.indexOf('?');
  if (mark === -1) return url;
  let entries: [string, string][];
  if (parsedQuery && typeof parsedQuery === 'object') {
    entries = Object.entries(parsedQuery).flatMap(([key, value]): [string, string][] =>
      (Array.isArray(value) ? value : [value]).map((item): [string, string] => [key, String(item)]),
    );
  } else {
    entries = [...new URLSearchParams(url.slice(mark + 1))];
  }
  const query = entries.map(
    ([key, value]) =>
      `${encodeURIComponent(key)}=${SECRET_PARAMETERS.has(key.trim().toLowerCase()) ? '[redacted]' : encodeURIComponent(value)}`,
  );
  return `${url.slice(0, mark)}?${query.join('&')}`;
}

/**
 * The one logger of a process, shared by Fastify and the background work. Credentials are
 * redacted wherever they could appear: tokens in headers, bodies and query strings, vendor secrets.
 */
export function createLogger(
  level: string,
  output: LogOutput = {
    isTTY: process.stdout.isTTY === true,
    nodeEnv: process.env.NODE_ENV,
    prettyInstalled: level !== 'silent' && prettyInstalled(),
  },
): Logger {
  const transport = level === 'silent' ? undefined : prettyTransport(output);
  return pino({
    level,
    ...(transport ? { transport } : {}),
    redact: {
      paths: [
        'req.headers.authorization',
        'req.headers.cookie',
        'req.body.token',
        'req.query.token',
        '*.token',
        '*.adminToken',
        '*.secretKey',
        '*.appSecret',
        '*.pushKey',
        '*.sessionKey',
      ],
      censor: '[redacted]',
    },
    serializers: {
      req: (request: { method: string; url: string; id: string; query?: unknown }) => ({
        method: request.method,
        url: redactedUrl(request.url, request.query),
        id: request.id,
      }),
    },
  });
}
