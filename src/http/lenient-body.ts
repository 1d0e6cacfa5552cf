import type { FastifyInstance } from 'fastify';
import { guardedJsonParser } from './json-body.js';

/**
 * The mini-program's `wx.request` sends `Content-Type: application/json` even with no data, and
 * some QLive POSTs have no parameters (matchmaker_enter): an empty or missing body is `{}` here,
 * instead of Fastify's "Body cannot be empty" 400. Call inside an encapsulated scope.
 */
export function acceptEmptyJsonBodies(app: FastifyInstance): void {
  const parseJson = guardedJsonParser(app);
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (text.trim() === '') return done(null, {});
    parseJson(request, text, done);
  });
  app.addHook('preValidation', async (request) => {
    if (request.method === 'POST' && (request.body === undefined || request.body === null)) request.body = {};
  });
}
