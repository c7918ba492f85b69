"""The two Lua scripts that keep a shared budget, each one atomic round trip, on Redis's own clock.

A budget is two keys: a sorted set whose members are requests (``"<weight>:<random token>"``) scored by
the Redis time, in milliseconds, at which they stop counting, and the running total of their weights (so
that no script has to add up a 12,000-entry set). Entries whose score has passed are removed at the start
of each script; the total is recounted from the set if it was lost. Both keys expire with their last entry.
"""

from __future__ import annotations

from typing import Final

__all__ = ["ACQUIRE", "RELEASE"]

_COMMON: Final = """
local zset, total = KEYS[1], KEYS[2]
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + tonumber(clock[2]) / 1000

local function weight_of(member)
  return tonumber(string.match(member, '^(%d+):')) or 1
end

-- Drop what has stopped counting; return the weight still counted and whether the total must be stored.
local function expire()
  local gone = redis.call('ZRANGEBYSCORE', zset, '-inf', now)
  if #gone > 0 then
    redis.call('ZREMRANGEBYSCORE', zset, '-inf', now)
  end
  local stored = redis.call('GET', total)
  local used = stored and tonumber(stored)
  if used then
    for _, member in ipairs(gone) do
      used = used - weight_of(member)
    end
  end
  if not used or used < 0 or (used > 0 and redis.call('ZCARD', zset) == 0) then
    used = 0
    for _, member in ipairs(redis.call('ZRANGE', zset, 0, -1)) do
      used = used + weight_of(member)
    end
    return used, true
  end
  return used, #gone > 0
end

-- Store the total; both keys expire a second after the set's last entry stops counting.
local function store(used)
  local last = redis.call('ZRANGE', zset, -1, -1, 'WITHSCORES')
  if #last == 0 then
    redis.call('DEL', zset, total)
    return
  end
  local at = math.ceil(tonumber(last[2])) + 1000
  redis.call('SET', total, used)
  redis.call('PEXPIREAT', zset, at)
  redis.call('PEXPIREAT', total, at)
end
"""

ACQUIRE: Final = (
    _COMMON
    + """
-- ARGV: member, weight, limit, lease ms, window ms. Returns {1, 0} when the member now counts (until the
-- lease ends, unless released first), or {0, ms} with the least time before enough weight can leave.
local member = ARGV[1]
local weight, limit = tonumber(ARGV[2]), tonumber(ARGV[3])
local lease, window = tonumber(ARGV[4]), tonumber(ARGV[5])
local used, changed = expire()
if redis.call('ZSCORE', zset, member) then
  -- A retry of a call that went through (its reply was lost): it already counts.
  if changed then store(used) end
  return {1, 0}
end
if used + weight <= limit then
  redis.call('ZADD', zset, now + lease, member)
  store(used + weight)
  return {1, 0}
end
-- Walk the entries that leave first until the excess is freed. One still in flight may be released at
-- any moment and then counts one more window, so no entry leaves earlier than a window from now. Each
-- entry weighs at least 1, so the first `excess` entries are enough.
local excess = used + weight - limit
local wait = window
local first = redis.call('ZRANGE', zset, 0, math.min(excess, 1000) - 1, 'WITHSCORES')
for i = 1, #first, 2 do
  excess = excess - weight_of(first[i])
  if excess <= 0 then
    wait = math.min(tonumber(first[i + 1]), now + window) - now
    break
  end
end
if changed then store(used) end
return {0, math.max(1, math.ceil(wait))}
"""
)

RELEASE: Final = (
    _COMMON
    + """
-- ARGV: window ms, then pairs of member and how many ms ago its response arrived (0, or more when this
-- process could not reach Redis at the time). Each member counts until that moment plus one window; one
-- the set no longer holds (its lease ran out, or Redis lost it) is counted again. Returns the weight used.
local window = tonumber(ARGV[1])
local used = expire()
for i = 2, #ARGV, 2 do
  local member, ago = ARGV[i], tonumber(ARGV[i + 1])
  local present = redis.call('ZSCORE', zset, member)
  local leaves = now - ago + window
  if leaves > now then
    redis.call('ZADD', zset, leaves, member)
    if not present then
      used = used + weight_of(member)
    end
  elseif present then
    redis.call('ZREM', zset, member)
    used = used - weight_of(member)
  end
end
store(used)
return used
"""
)
