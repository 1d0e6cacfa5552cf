import { type Logger, pino } from 'pino';

/**
 * The one logger of a process, shared by Fastify and the background work. Credentials are
 * redacted wherever they could appear: tokens in headers, bodies and query strings, vendor secrets.
 */
export function createLogger(level: string): Logger {
  return pino({
    level,
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
      req: (request: { method: string; url: string; id: string }) => ({
        method: request.method,
        url: request.url.replace(/([?&]token=)[^&]*/g, '$1[redacted]'),
        id: request.id,
      }),
    },
  });
}
