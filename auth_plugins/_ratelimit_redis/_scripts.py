"""The two Lua scripts that keep a shared budget, each one atomic round trip, on Redis's own clock.

A budget is two keys: a sorted set whose members are requests (``"<weight>:<random token>"``) scored by
the Redis time, in milliseconds, at which they stop counting, and the running total of their weights (so
that no script has to add up a 12,000-entry set). Entries whose score has passed stop counting; to spare a
write per call they are removed (and their weight subtracted) only when they stand in the way of a request,
or now and then, so the total may hold them a little longer: it never counts less than the rule says, and
the set holds about the limit's weight of entries at most. The total is recounted from the set if it was
lost, and dropped if it outlived the set. Both keys expire 1 to 11 s after their last entry stops counting.

Responses are reported as *settlements*: pairs of a member and how many milliseconds ago (on the reporting
process's monotonic clock) its response arrived. The script re-scores each at Redis's ``now - ago + window``,
so a settlement that arrives late still ends its request's count where the counting rule says. They ride on
the process's next :data:`ACQUIRE` of the same budget (applied before it counts anything), or, when no
acquire comes soon, go alone in a :data:`RELEASE`.

The exchange's own count (a used-weight header) travels the same way, as a pair ``"#<used>:<token>"`` and how
many milliseconds ago the answer arrived: from then until one window after that answer, the budget counts at
least ``used``. Whatever the set holds short of it (after pruning, so that only what counts is compared) is
added as one entry of the missing weight, scored one window after the answer, as the in-process
:meth:`~auth_plugins._ratelimit.SlidingWindow.observe` does.
"""

from __future__ import annotations

from typing import Final

__all__ = ["ACQUIRE", "ACQUIRE_ARGS", "RELEASE"]

ACQUIRE_ARGS: Final = 5
"""How many arguments :data:`ACQUIRE` takes before its settlements."""

_COMMON: Final = """
local zset, total = KEYS[1], KEYS[2]
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + tonumber(clock[2]) / 1000
local ttl = redis.call('PTTL', zset)  -- -2: there is no set
local stored = false  -- the total as Redis holds it (false: none, or one that outlived its set)
local top = 0  -- the latest score this call writes

local function weight_of(member)
  return tonumber(string.match(member, '^(%d+):')) or 1
end

-- The weight the set holds, entries that stopped counting but are not yet pruned included: never less than
-- what counts. Recounted from the set if the total was lost.
local function held()
  if ttl == -2 then
    return 0
  end
  stored = tonumber(redis.call('GET', total) or '')
  if stored and stored >= 0 then
    return stored
  end
  stored = false
  local used = 0
  for _, member in ipairs(redis.call('ZRANGE', zset, 0, -1)) do
    used = used + weight_of(member)
  end
  return used
end

-- Remove the entries that stopped counting; return the weight left.
local function prune(used)
  local gone = redis.call('ZRANGEBYSCORE', zset, '-inf', now)
  if #gone > 0 then
    redis.call('ZREMRANGEBYSCORE', zset, '-inf', now)
    for _, member in ipairs(gone) do
      used = used - weight_of(member)
    end
  end
  return math.max(used, 0)
end

-- The exchange reported `reported` weight of this budget spent (a used-weight header) one window before
-- `leaves`: until then the budget counts at least that much. What the set holds short of it is added as one
-- entry of the missing weight counting until `leaves` (the exchange does not say when it was spent), named
-- after the report's token `tag`, so that a retried call adds it once. Returns the weight held.
local function report(used, reported, leaves, tag)
  if leaves <= now then
    return used
  end
  used = prune(used)  -- only what counts now may be compared with the exchange's count
  local missing = reported - used
  if missing > 0 and redis.call('ZADD', zset, leaves, missing .. ':used:' .. tag) == 1 then
    used = used + missing
    top = math.max(top, leaves)
  end
  return used
end

-- ARGV[first], ARGV[first + 1], ...: pairs of a member and how many ms ago its response arrived. Each member
-- counts until that moment plus one window; one the set no longer holds (its lease ran out, or Redis lost
-- it) is counted again; one whose window has passed too stops counting. A member `#<used>:<token>` is instead
-- the exchange's own count in that response (see report). Returns the weight held.
local function settle(used, window, first)
  for i = first, #ARGV, 2 do
    local member = ARGV[i]
    local leaves = now - tonumber(ARGV[i + 1]) + window
    local reported, tag = string.match(member, '^#(%d+):(%w+)$')
    if reported then
      used = report(used, tonumber(reported), leaves, tag)
    elseif leaves > now then
      if redis.call('ZADD', zset, leaves, member) == 1 then
        used = used + weight_of(member)
      end
      top = math.max(top, leaves)
    elseif redis.call('ZREM', zset, member) == 1 then
      used = used - weight_of(member)
    end
  end
  return used
end

-- Store the total. Both keys expire 1 to 11 s after the set's last entry stops counting: the expiry only
-- moves later, and by 10 s more than needed, so that most calls need not move it.
local function store(used)
  if used <= 0 and redis.call('ZCARD', zset) == 0 then
    redis.call('DEL', zset, total)
    return
  end
  if stored and ttl ~= -2 then
    if used ~= stored then
      redis.call('INCRBY', total, used - stored)  -- keeps the key's expiry
    end
  else
    redis.call('SET', total, used)
  end
  local at = 0
  if ttl > 0 then
    at = now + ttl
  elseif top == 0 then
    top = tonumber(redis.call('ZRANGE', zset, -1, -1, 'WITHSCORES')[2])
  end
  if top + 1000 > at or not stored then
    at = math.ceil(math.max(at, top + 11000))
    redis.call('PEXPIREAT', zset, at)
    redis.call('PEXPIREAT', total, at)
  end
end
"""

ACQUIRE: Final = (
    _COMMON
    + """
-- ARGV: member, weight, limit, lease ms, window ms, then settlements (see settle), applied first. Returns
-- 0 when the member now counts (until the lease ends, unless settled first), or else the least time in ms
-- (at least 1) before enough weight can leave. One integer: the cheapest reply to parse.
local member = ARGV[1]
local weight, limit = tonumber(ARGV[2]), tonumber(ARGV[3])
local lease, window = tonumber(ARGV[4]), tonumber(ARGV[5])
local used = settle(held(), window, 6)
-- Entries that stopped counting are pruned when they stand in the way, and now and then (about every 32nd
-- call when requests weigh 1) so that the set stays small when the budget is never full.
if used + weight > limit or used % 32 == 0 then
  used = prune(used)
end
if used + weight <= limit then
  top = math.max(top, now + lease)
  -- 0 when the member is there already: a retry of a call that went through (its reply was lost).
  if redis.call('ZADD', zset, 'NX', now + lease, member) == 1 then
    used = used + weight
  end
  store(used)
  return 0
end
store(used)
if redis.call('ZSCORE', zset, member) then
  -- A retry of a call that went through, which now fills the budget: it already counts.
  return 0
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
return math.max(1, math.ceil(wait))
"""
)

RELEASE: Final = (
    _COMMON
    + """
-- ARGV: window ms, then settlements (see settle). Returns the weight held.
local used = prune(settle(held(), tonumber(ARGV[1]), 2))
store(used)
return used
"""
)
