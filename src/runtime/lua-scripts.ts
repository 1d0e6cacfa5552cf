/**
 * The runtime's Lua scripts. Each one is atomic, so a save and everything that must go with it
 * (history entry, outbox batch, indexes) land together or not at all. Keys are always passed in
 * KEYS, and all keys of one call share the instance group's hash tag (keys.ts), so each script
 * stays in one slot of a Redis Cluster.
 */
import { LuaScript } from '../redis/lua-script.js';

/**
 * Compare-and-set save of one transition.
 * KEYS: machine hash, history stream, active zset, outbox zset
 * ARGV: 1 expected version ('0' = create: the hash must not exist), 2 new version, 3 snapshot JSON,
 *       4 timers JSON, 5 now, 6 outbox batch JSON or '', 7 history MAXLEN, 8 outbox member (kind:id),
 *       9 id, 10 kind, 11 event type, 12 event JSON, 13 from JSON ('' on create), 14 to JSON,
 *       15 actor, 16 event at
 * Returns 1 saved, 0 version conflict (or already exists on create), -1 no such instance.
 */
export const saveScript = new LuaScript(
  'machine-save',
  `
local cur = redis.call('HGET', KEYS[1], 'version')
if ARGV[1] == '0' then
  if cur then return 0 end
  redis.call('DEL', KEYS[2])
  redis.call('HSET', KEYS[1], 'kind', ARGV[10], 'id', ARGV[9], 'createdAt', ARGV[5])
else
  if not cur then return -1 end
  if cur ~= ARGV[1] then return 0 end
end
redis.call('HSET', KEYS[1], 'version', ARGV[2], 'snapshot', ARGV[3], 'timers', ARGV[4], 'updatedAt', ARGV[5])
if ARGV[6] ~= '' then
  redis.call('HSET', KEYS[1], 'ob:' .. ARGV[2], ARGV[6])
  redis.call('HINCRBY', KEYS[1], 'pending', 1)
  redis.call('ZADD', KEYS[4], 'NX', ARGV[5], ARGV[8])
end
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[7], '*',
  'v', ARGV[2], 'type', ARGV[11], 'event', ARGV[12], 'from', ARGV[13], 'to', ARGV[14],
  'actor', ARGV[15], 'at', ARGV[16])
redis.call('ZADD', KEYS[3], ARGV[5], ARGV[9])
return 1
`,
  4,
);

const clearBatchLua = `
local function clearBatch(field, member)
  if redis.call('HDEL', KEYS[1], field) == 1 then
    if redis.call('HINCRBY', KEYS[1], 'pending', -1) <= 0 then
      redis.call('HDEL', KEYS[1], 'pending')
      redis.call('ZREM', KEYS[2], member)
    end
  end
end
`;

/**
 * Removes one outbox batch once its effects ran (idempotent: only the first call counts).
 * KEYS: machine hash, outbox zset. ARGV: 1 field `ob:<version>`, 2 outbox member.
 */
export const clearBatchScript = new LuaScript(
  'machine-clear-batch',
  `${clearBatchLua}
clearBatch(ARGV[1], ARGV[2])
return 1
`,
  2,
);

/**
 * Finishes a final instance after its effects and `onFinal` ran: clears the batch, marks it,
 * sets the expiry on its keys and drops it from the active index.
 * KEYS: machine hash, outbox zset, history stream, active zset.
 * ARGV: 1 field `ob:<version>`, 2 outbox member, 3 id, 4 ttl ms, 5 now.
 */
export const finalizeScript = new LuaScript(
  'machine-finalize',
  `${clearBatchLua}
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
clearBatch(ARGV[1], ARGV[2])
redis.call('HSET', KEYS[1], 'finalizedAt', ARGV[5])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
redis.call('PEXPIRE', KEYS[3], ARGV[4])
redis.call('ZREM', KEYS[4], ARGV[3])
return 1
`,
  4,
);

/**
 * Claims up to ARGV[3] outbox members older than ARGV[1] by moving their score to ARGV[2], so a
 * concurrent `recoverPending` in another process skips them until they are old again.
 * KEYS: outbox zset. Returns the claimed members.
 */
export const claimScript = new LuaScript(
  'machine-claim-outbox',
  `
local members = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, ARGV[3])
for _, m in ipairs(members) do redis.call('ZADD', KEYS[1], 'XX', ARGV[2], m) end
return members
`,
  1,
);
