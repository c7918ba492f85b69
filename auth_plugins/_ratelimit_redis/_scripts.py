"""The two Lua scripts that keep a shared budget, each one atomic round trip, on Redis's own clock.

A budget is two keys: a sorted set whose members are requests (``"<weight>:<random token>"``) scored by the
Redis time at which they stop counting (whole milliseconds, rounded up: a request counts up to 1 ms longer,
never shorter; passed to Redis as strings, since Redis formats a Lua number with ``%.17g`` at a cost above
the ``ZADD``'s own), and a small hash beside it: ``x``, the weight its members carry beyond one each, and
``e``, when both keys expire (ms). The weight the set holds is ``ZCARD + x``: no script adds up a
12,000-entry set, and a budget whose requests all weigh 1 (``x`` is 0) never writes the hash on its common
path. Entries whose score has passed stop counting; to spare a write per call they are removed only when
they stand in the way of a request, or now and then (one ``ZREMRANGEBYSCORE``, whose count is their weight
while ``x`` is 0; otherwise they are read back to subtract what they carry), so the set may hold them a
little longer: it never counts less than the rule says, and holds about the limit's weight of entries at
most. ``x`` is recounted from the set if the hash was lost, and reset when the set is gone. Both keys
expire 1 to 11 s after their last entry stops counting; ``e`` saves a ``PTTL`` a call (the expiry only
moves later, by 10 s more than needed, so that most calls need not move it).

**The common path.** An acquire of weight 1 on such a budget, carrying at most one plain settlement, with
room, no prune due and no expiry to move, runs flat at the top of :data:`ACQUIRE`: ``TIME``, ``HMGET``,
``ZCARD``, the settlement's ``ZADD`` and the member's ``ZADD NX``, before the general machinery is built
(Lua closures with upvalues cost Redis microseconds a call). It does what the general path would do in that
case; anything else continues in the general path from where it stopped.

The layout is version ``rl3`` of the key names (:func:`~auth_plugins._ratelimit_redis._settings.budget_keys`):
``rl2`` kept a running total under the second key (a string, with the weight of every member), which these
scripts would misread, and the reverse.

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

_HEAD: Final = """
local zset, meta = KEYS[1], KEYS[2]
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + tonumber(clock[2]) / 1000
local stored = redis.call('HMGET', meta, 'x', 'e')
local extra, expires = tonumber(stored[1]), tonumber(stored[2]) or 0  -- extra: nil when the hash was lost
local count = redis.call('ZCARD', zset)
local dx = 0  -- what this call adds to extra
local top = 0  -- the latest score this call writes
"""

_COMMON: Final = """
local function weight_of(member)
  return tonumber(string.match(member, '^(%d+):')) or 1
end

-- A score: whole milliseconds, rounded up (a request counts up to 1 ms longer, never shorter), as a string
-- (Redis formats a Lua number with "%.17g", which costs more than the ZADD itself).
local function ms(at)
  return string.format('%d', math.ceil(at))
end

local fresh = false  -- whether the hash is to be written whole (it outlived its set, or was lost)
if count == 0 then
  extra, fresh = 0, true
elseif not extra then
  extra, fresh = 0, true  -- recount what the members carry beyond one each
  for _, member in ipairs(redis.call('ZRANGE', zset, 0, -1)) do
    extra = extra + weight_of(member) - 1
  end
end

-- Remove the entries that stopped counting; return the weight left. While every member weighs 1, the count
-- ZREMRANGEBYSCORE returns is their weight; otherwise they are read back to subtract what they carry.
local function prune(used)
  local past = string.format('%d', math.floor(now))  -- scores are whole: the same entries as up to now
  if extra + dx == 0 then
    return used - redis.call('ZREMRANGEBYSCORE', zset, '-inf', past)
  end
  local gone = redis.call('ZRANGEBYSCORE', zset, '-inf', past)
  if #gone > 0 then
    redis.call('ZREMRANGEBYSCORE', zset, '-inf', past)
    for _, member in ipairs(gone) do
      local weight = weight_of(member)
      used = used - weight
      dx = dx - weight + 1
    end
  end
  return used
end

-- Count `member` (of `weight`) as one more entry of the set.
local function added(used, weight)
  dx = dx + weight - 1
  return used + weight
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
  if missing > 0 and redis.call('ZADD', zset, ms(leaves), missing .. ':used:' .. tag) == 1 then
    used = added(used, missing)
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
    local reported, tag
    if string.byte(member) == 35 then  -- '#': only then is the pattern tried
      reported, tag = string.match(member, '^#(%d+):(%w+)$')
    end
    if reported then
      used = report(used, tonumber(reported), leaves, tag)
    elseif leaves > now then
      if redis.call('ZADD', zset, ms(leaves), member) == 1 then
        used = added(used, weight_of(member))
      end
      top = math.max(top, leaves)
    elseif redis.call('ZREM', zset, member) == 1 then
      local weight = weight_of(member)
      used = used - weight
      dx = dx - weight + 1
    end
  end
  return used
end

-- Write back what changed. Both keys expire 1 to 11 s after the set's last entry stops counting: the expiry
-- only moves later, and by 10 s more than needed, so that most calls need not move it.
local function store(used)
  if used <= 0 and redis.call('ZCARD', zset) == 0 then
    redis.call('DEL', zset, meta)
    return
  end
  if fresh or expires == 0 then  -- no expiry known: one after the set's last entry, never earlier than it
    top = math.max(top, tonumber(redis.call('ZRANGE', zset, -1, -1, 'WITHSCORES')[2]) or 0)
    expires = 0
  end
  if top + 1000 > expires then
    expires = math.ceil(math.max(expires, top + 11000))
    redis.call('HSET', meta, 'x', extra + dx, 'e', expires)
    redis.call('PEXPIREAT', zset, expires)
    redis.call('PEXPIREAT', meta, expires)
  elseif dx ~= 0 then
    redis.call('HINCRBY', meta, 'x', dx)  -- keeps the key's expiry
  end
end
"""

ACQUIRE: Final = (
    _HEAD
    + """
-- ARGV: limit, window ms (the budget's, packed once by the caller), member, weight, lease ms, then settlements
-- (see settle), applied first. Returns 0 when the member now counts (until the lease ends, unless settled
-- first), or else the least time in ms (at least 1) before enough weight can leave. One integer: the cheapest
-- reply to parse.
local limit, window = tonumber(ARGV[1]), tonumber(ARGV[2])
local member, weight, lease = ARGV[3], tonumber(ARGV[4]), tonumber(ARGV[5])
local first = 6  -- the first settlement left for settle() to apply
local used = count
-- The common case, before the general machinery is built (its closures cost Redis microseconds a call): a
-- budget whose members all weigh 1, a request of weight 1 carrying at most one plain settlement that still
-- counts, room, no prune due and no expiry to move. It does exactly what the general path does then: the
-- settlement's ZADD and the member's ZADD NX. Anything else continues below from where it stopped.
if extra == 0 and count > 0 and weight == 1 and #ARGV <= 7 then
  local settled = ARGV[6]
  if settled and string.byte(settled) ~= 35 then  -- not '#': not a used-weight report
    local leaves = now - tonumber(ARGV[7]) + window
    if leaves > now then
      if redis.call('ZADD', zset, string.format('%d', math.ceil(leaves)), settled) == 1 then  -- not held: counts again
        local heavy = tonumber(string.match(settled, '^(%d+):')) or 1
        used, dx = used + heavy, heavy - 1
      end
      top, first = leaves, 8
    end
  end
  if first > #ARGV and dx == 0 and used + weight <= limit and used % 32 ~= 0
      and math.max(top, now + lease) + 1000 <= expires then
    redis.call('ZADD', zset, 'NX', string.format('%d', math.ceil(now + lease)), member)
    return 0
  end
end
"""
    + _COMMON
    + """
if first == 6 then
  used = count + extra
end
used = settle(used, window, first)
-- Entries that stopped counting are pruned when they stand in the way, and now and then (about every 32nd
-- call when requests weigh 1) so that the set stays small when the budget is never full.
if used + weight > limit or used % 32 == 0 then
  used = prune(used)
end
if used + weight <= limit then
  top = math.max(top, now + lease)
  -- 0 when the member is there already: a retry of a call that went through (its reply was lost).
  if redis.call('ZADD', zset, 'NX', ms(now + lease), member) == 1 then
    used = added(used, weight)
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
local leaving = redis.call('ZRANGE', zset, 0, math.min(excess, 1000) - 1, 'WITHSCORES')
for i = 1, #leaving, 2 do
  excess = excess - weight_of(leaving[i])
  if excess <= 0 then
    wait = math.min(tonumber(leaving[i + 1]), now + window) - now
    break
  end
end
return math.max(1, math.ceil(wait))
"""
)

RELEASE: Final = (
    _HEAD
    + _COMMON
    + """
-- ARGV: window ms, then settlements (see settle). Returns the weight held.
local used = prune(settle(count + extra, tonumber(ARGV[1]), 2))
store(used)
return used
"""
)
