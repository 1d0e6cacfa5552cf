import type { FastifyInstance, FastifyRequest } from 'fastify';
import { badRequest } from '../errors.js';

/** No client sends more than a few levels; anything deeper is refused before it is parsed or walked. */
export const MAX_BODY_DEPTH = 32;

/** How deep `text`'s arrays and objects nest, counted without parsing; stops once past `limit`. */
export function nestingDepth(text: string, limit = Number.POSITIVE_INFINITY): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let index = 0; index < text.length; index++) {
    const char = text.charCodeAt(index);
    if (inString) {
      if (char === 0x5c)
        index++; // backslash: skip the escaped character
      else if (char === 0x22) inString = false;
      continue;
    }
    if (char === 0x22) inString = true;
    else if (char === 0x5b || char === 0x7b) {
      depth++;
      if (depth > deepest) deepest = depth;
      if (deepest > limit) return deepest;
    } else if (char === 0x5d || char === 0x7d) depth--;
  }
  return deepest;
}

type JsonParser = (
  request: FastifyRequest,
  body: string,
  done: (error: Error | null, body?: unknown) => void,
) => void;

/**
 * Fastify's JSON parser (which refuses `__proto__` and `constructor.prototype` keys), behind a depth
 * check: a body nested deeper than MAX_BODY_DEPTH is a 400 before anything recurses into it.
 */
export function guardedJsonParser(app: FastifyInstance): JsonParser {
  const parse = app.getDefaultJsonParser('error', 'error');
  return (request, body, done) => {
    if (nestingDepth(body, MAX_BODY_DEPTH) > MAX_BODY_DEPTH)
      return done(badRequest(`body is nested deeper than ${MAX_BODY_DEPTH} levels`));
    parse(request, body, done);
  };
}

/** Replaces the scope's JSON parser with the guarded one. */
export function useGuardedJsonParser(app: FastifyInstance): void {
  const parse = guardedJsonParser(app);
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) =>
    parse(request, typeof body === 'string' ? body : body.toString('utf8'), done),
  );
}
