"""One rate-limit budget across processes and hosts, kept in Redis: ``make_client(..., rate_limit="redis://...")``.

The counting rule is the in-process limiter's (:mod:`auth_plugins._ratelimit`): a request counts from the
moment it leaves the gate (just before it is written), for as long as it is in flight, and for one window
(0.5 % longer than documented, at least 10 ms) after its response headers arrive or its transfer fails.
In Redis each budget is a sorted set of requests scored by the moment they stop counting, on Redis's own
clock (``TIME`` inside the scripts), so clock differences between hosts do not matter:

- acquire (:data:`~auth_plugins._ratelimit_redis._scripts.ACQUIRE`, one ``EVALSHA``): drop the entries
  whose moment has passed; if the weight left leaves room, add the request scored ``now + lease`` (a lease:
  it is in flight, and its end is unknown); otherwise add nothing and return the least wait before enough
  weight can leave. The caller sleeps that long and asks again.
- settle: the response has arrived, so the request is re-scored one window after it. This costs no round
  trip of its own: the process's next acquire of the budget carries it (applied before counting), saying
  how long ago the response arrived, so the request stops counting exactly where the rule says however late
  the settlement lands; until then it counts on its lease (the conservative side). When no acquire comes
  within 50 ms, a background thread sends it alone (:data:`~auth_plugins._ratelimit_redis._scripts.RELEASE`),
  as do ``close()`` and interpreter exit: see :mod:`~auth_plugins._ratelimit_redis._backend`. So each call
  costs one Redis round trip.

A process that dies with requests in flight never releases them: they stop counting when their lease ends
(:func:`~auth_plugins._ratelimit_redis._gate.lease_ms`: at least 30 s, and at least one window plus the
request's own timeouts). Every process also keeps its own in-process budget underneath, so that when
Redis fails it can go on alone (``on_error="local"``, the default: one WARNING per outage, reconnect with
backoff, responses made meanwhile reported to Redis on recovery) or refuse requests
(``on_error="raise"``: :class:`~auth_plugins.errors.SharedBudgetError`, nothing sent).

Keys are ``<prefix>:rl3:{<exchange>:<budget>:api-key:<fingerprint>:<limit>:<window_ms>}:z`` (and ``:n``, a hash:
the weight the members carry beyond one each, and the keys' expiry; ``rl3`` is the layout's version), where
``<budget>`` is the pool's name or the operationId of an endpoint's own budget (two endpoints with equal
numbers never share one) and the fingerprint (:func:`shared_fingerprint`) is a keyed
hash of the API key that only holders of the credentials can compute. An account budget the user labelled
(``rate_limit_account=``) uses ``account:<label>`` (``master-account:<label>``) in its place, so every key and
process given the label shares it; ``ip`` limits use ``ip:<ip_scope>:<scheme>:<host>:<port>``, ``ip_scope``
standing for the egress address (default ``"shared"``: every client on the Redis leaves through one address).

Needs redis-py (the ``redis`` extra) and Redis 5 or later (tested with 7.0).
"""

from auth_plugins._ratelimit_redis._settings import (
    DEFAULT_IP_SCOPE,
    DEFAULT_LEASE_S,
    RedisRateLimit,
    budget_keys,
    mask_url,
    shared_fingerprint,
)

__all__ = ["DEFAULT_IP_SCOPE", "DEFAULT_LEASE_S", "RedisRateLimit", "budget_keys", "mask_url", "shared_fingerprint"]
