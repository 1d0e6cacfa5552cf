import { createHash } from 'node:crypto';
import type { RedisClient } from './connection.js';

/**
 * A Lua script sent by its SHA1 (EVALSHA), and by its source only when Redis does not know it yet
 * (after a restart or a SCRIPT FLUSH): the source travels once, not with every call. On a Redis
 * Cluster the call goes to the node of the first key, so all keys must share one hash slot.
 */
export class LuaScript {
  private readonly sha: string;

  constructor(
    readonly name: string,
    private readonly source: string,
    private readonly numberOfKeys: number,
  ) {
    this.sha = createHash('sha1').update(source).digest('hex');
  }

  async run(
    redis: RedisClient,
    keys: readonly string[],
    args: readonly (string | number)[],
  ): Promise<unknown> {
    if (keys.length !== this.numberOfKeys)
      throw new Error(`${this.name}: expected ${this.numberOfKeys} keys`);
    try {
      return await redis.evalsha(this.sha, keys.length, ...keys, ...args);
    } catch (err) {
      if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
      return redis.eval(this.source, keys.length, ...keys, ...args);
    }
  }
}
