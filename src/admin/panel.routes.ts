import { readdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyPluginAsync } from 'fastify';

const PANEL_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'panel');

/** Browser modules the panel takes from node_modules (served as is, same-origin, no CDN). */
const require = createRequire(import.meta.url);
const VENDOR: Record<string, string> = {
  'idiomorph.js': require.resolve('idiomorph/dist/idiomorph.esm.js'),
};

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

/** Everything the panel loads comes from this server (its files, Socket.IO's own client): no CDN, no inline code. */
const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self' ws: wss:",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

/**
 * The admin panel's static files: `/admin` is the page, `/admin/assets/<file>` its plain ES modules
 * and stylesheet. They are read once at start (a handful of small files), so a request never
 * touches the disk and no path from a request ever reaches the file system.
 */
export const adminPanelRoutes: FastifyPluginAsync = async (app) => {
  const files = new Map<string, { body: Buffer; type: string }>();
  for (const name of await readdir(PANEL_DIR)) {
    const type = CONTENT_TYPES[path.extname(name)];
    if (type) files.set(name, { body: await readFile(path.join(PANEL_DIR, name)), type });
  }
  const vendor = new Map<string, Buffer>();
  for (const [name, file] of Object.entries(VENDOR)) vendor.set(name, await readFile(file));
  const page = files.get('index.html');
  if (!page) throw new Error(`admin panel: ${PANEL_DIR}/index.html is missing`);

  const headers = {
    'cache-control': 'no-cache',
    'content-security-policy': CSP,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
  };

  app.get('/admin', { schema: { hide: true } }, async (_request, reply) =>
    reply.headers(headers).type(page.type).send(page.body),
  );

  app.get<{ Params: { file: string } }>(
    '/admin/assets/:file',
    { schema: { hide: true } },
    async (request, reply) => {
      const file = files.get(request.params.file);
      if (!file || request.params.file === 'index.html') {
        return reply.status(404).type('text/plain; charset=utf-8').send('not found');
      }
      return reply.headers(headers).type(file.type).send(file.body);
    },
  );

  app.get<{ Params: { file: string } }>(
    '/admin/vendor/:file',
    { schema: { hide: true } },
    async (request, reply) => {
      const body = vendor.get(request.params.file);
      if (!body) return reply.status(404).type('text/plain; charset=utf-8').send('not found');
      return reply
        .headers(headers)
        .type(CONTENT_TYPES['.js'] as string)
        .send(body);
    },
  );
};
