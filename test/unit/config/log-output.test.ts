import { describe, expect, it } from 'vitest';
import { prettyTransport } from '../../../src/logger.js';

describe('log output', () => {
  it('pretty-prints for a person at a terminal in development', () => {
    expect(prettyTransport({ isTTY: true, nodeEnv: undefined, prettyInstalled: true })).toMatchObject({
      target: 'pino-pretty',
    });
  });

  it('writes JSON lines to a pipe or a file', () => {
    expect(prettyTransport({ isTTY: false, nodeEnv: undefined, prettyInstalled: true })).toBeUndefined();
  });

  it('writes JSON lines in production, even at a terminal', () => {
    expect(prettyTransport({ isTTY: true, nodeEnv: 'production', prettyInstalled: true })).toBeUndefined();
  });

  it('writes JSON lines when pino-pretty, a devDependency, is not installed', () => {
    expect(prettyTransport({ isTTY: true, nodeEnv: undefined, prettyInstalled: false })).toBeUndefined();
  });
});
