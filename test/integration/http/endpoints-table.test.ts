import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  endpointTableIn,
  type OpenApiDocument,
  renderEndpointTable,
} from '../../../src/dev/endpoints-table.js';
import { startTestServer, type TestServer } from '../../helpers/app.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer('endpoints_table');
});
afterAll(async () => {
  await server?.close();
});

describe('the README endpoint table', () => {
  it('lists every route of the OpenAPI document with its full path (run npm run docs:endpoints when it fails)', async () => {
    const document = (await server.request('GET', '/docs/json')).body as OpenApiDocument;
    const readme = await readFile('README.md', 'utf8');
    expect(endpointTableIn(readme)).toBe(renderEndpointTable(document));
  });

  it('names the paid-call endpoints by full path, the way the apps call them', async () => {
    const table = endpointTableIn(await readFile('README.md', 'utf8')) ?? '';
    for (const path of [
      '/app/live/callGirl',
      '/weapp/live_room/create_room',
      '/wx/api/qlive/get_livelist/',
    ]) {
      expect(table).toContain(`\`${path}\``);
    }
  });
});
