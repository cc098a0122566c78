import type { ClusterMember } from '../client/wire-types.ts';

/**
 * Membership of a cluster: every supervisor writes a heartbeat into one sorted set (score = Redis
 * time of its last heartbeat) and reads who else wrote one recently. Redis's own clock is used, so
 * the hosts' clocks do not have to agree for this count.
 */

/**
 * One round trip: records this member's heartbeat, drops members unseen for `ttlMs`, and returns
 * `[nowMs, id1, lastSeen1, info1, id2, …]`. The keys expire after ten TTLs of silence, so a
 * cluster that is gone leaves nothing behind in Redis.
 *
 * KEYS[1] members (zset id → last seen), KEYS[2] infos (hash id → JSON)
 * ARGV[1] member id, ARGV[2] ttl ms, ARGV[3] info JSON
 */
export const HEARTBEAT_LUA = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ttl = tonumber(ARGV[2])
redis.call('ZADD', KEYS[1], now, ARGV[1])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
local gone = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now - ttl)
if #gone > 0 then
  redis.call('ZREM', KEYS[1], unpack(gone))
  redis.call('HDEL', KEYS[2], unpack(gone))
end
redis.call('PEXPIRE', KEYS[1], ttl * 10)
redis.call('PEXPIRE', KEYS[2], ttl * 10)
local live = redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES')
local out = { now }
for i = 1, #live, 2 do
  table.insert(out, live[i])
  table.insert(out, live[i + 1])
  table.insert(out, redis.call('HGET', KEYS[2], live[i]) or '{}')
end
return out
`;

/** Removes a member at once (clean stop), so the others' shares grow without waiting a TTL. */
export const LEAVE_LUA = `
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
return 1
`;

/** Parses the reply of {@link HEARTBEAT_LUA}; entries that do not parse are skipped. */
export function parseHeartbeatReply(reply: unknown): { nowMs: number; members: ClusterMember[] } {
  if (!Array.isArray(reply) || reply.length === 0) return { nowMs: Date.now(), members: [] };
  const nowMs = Number(reply[0]);
  const members: ClusterMember[] = [];
  for (let i = 1; i + 2 < reply.length; i += 3) {
    const id = String(reply[i]);
    const lastSeenAt = Number(reply[i + 1]);
    let info: { host?: unknown; pid?: unknown; startedAt?: unknown } = {};
    try {
      info = JSON.parse(String(reply[i + 2])) as typeof info;
    } catch {
      // a member that wrote no readable info still counts
    }
    members.push({
      id,
      host: typeof info.host === 'string' ? info.host : id.split(':')[0] || id,
      pid: typeof info.pid === 'number' ? info.pid : 0,
      startedAt: typeof info.startedAt === 'number' ? info.startedAt : 0,
      lastSeenAt: Number.isFinite(lastSeenAt) ? lastSeenAt : 0,
    });
  }
  members.sort((a, b) => a.id.localeCompare(b.id));
  return { nowMs: Number.isFinite(nowMs) ? nowMs : Date.now(), members };
}

/** Whether two member lists name the same members (ignoring their heartbeat times). */
export function sameMembers(a: readonly ClusterMember[], b: readonly ClusterMember[]): boolean {
  return a.length === b.length && a.every((member, index) => member.id === b[index]?.id);
}
