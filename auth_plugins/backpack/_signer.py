"""Backpack Exchange request signing (ED25519 over a sorted parameter string)."""

import base64
import json
from collections.abc import Generator, Mapping
from urllib.parse import parse_qsl

import httpx

from auth_plugins._clock import Clock, SignerClock
from auth_plugins._generated import instructions
from auth_plugins._keys import decode_ed25519_seed_b64, mask_api_key
from auth_plugins._routes import lookup, normalise
from auth_plugins._secrets import Unpicklable

__all__ = ["BackpackAuth"]

MAX_WINDOW_MS = 60_000


class BackpackAuth(SignerClock, Unpicklable, httpx.Auth):
    """Sign Backpack requests with ED25519, as described in Backpack's "Signing requests" documentation.

    ``api_secret`` is the base64 of the 32-byte ED25519 seed; ``X-API-Key`` is the base64 of the public key
    derived from it. ``window_ms`` (1..60000) is sent as ``X-Window``. ``clock`` returns Unix epoch
    milliseconds (default: the system clock); ``offset_ms`` is added to every reading and may be changed at
    any time, e.g. after measuring the offset to the exchange's server time.

    ``routes`` maps ``(METHOD, path)`` to the instruction name that prefixes the signed string, e.g.
    ``("GET", "/api/v1/account/limits/borrow") -> "maxBorrowQuantity"``. Lookup uses ``request.method`` and
    the exact (percent-decoded) ``request.url.path``. The table is the allow-list of what may be sent:

    - a route mapped to an instruction name is signed;
    - a route mapped to ``None`` is public and passes through unsigned (e.g. ``GET /api/v1/time``);
    - any other route raises ``auth_plugins.UnknownOperationError`` before the request is yielded, so nothing is sent.

    When ``routes`` is ``None`` the generated table ``backpack_client.operations.INSTRUCTIONS`` is
    imported at construction time. The table is copied, so later changes to the mapping passed in have no
    effect.

    The signed string is ``instruction=<name>``, then ``&k=v`` for each query parameter (percent-decoded,
    sorted by key), then ``&k=v`` for each top-level field of a JSON-object body (sorted by key; strings
    as-is, booleans ``true``/``false``, ``null``, numbers and nested values as compact JSON), then
    ``&timestamp=<ms>&window=<window_ms>``. Query parameters come before body fields, as in the official
    Rust client; sorting is stable, so repeated keys keep their order. A non-empty body that is not a JSON
    object raises ``ValueError`` before the request is yielded.
    """

    requires_request_body = True

    def __init__(
        self,
        api_secret: str,
        *,
        window_ms: int = 5000,
        clock: Clock | None = None,
        routes: Mapping[tuple[str, str], str | None] | None = None,
    ) -> None:
        if isinstance(window_ms, bool) or not isinstance(window_ms, int) or not 1 <= window_ms <= MAX_WINDOW_MS:
            raise ValueError(f"window_ms must be an integer in 1..{MAX_WINDOW_MS}")
        if routes is None:
            routes = instructions("backpack_client")
        self._instructions = _normalise_instructions(routes)
        try:
            seed = decode_ed25519_seed_b64(api_secret)
        except ValueError as error:
            raise ValueError(f"api_secret: {error}") from None
        # pynacl is imported only when a key is made: importing the package should not pay for it.
        from nacl.signing import SigningKey

        self._signing_key = SigningKey(seed)
        self._api_key = base64.b64encode(bytes(self._signing_key.verify_key)).decode("ascii")
        self._window_ms = window_ms
        self._suffix_window = f"&window={window_ms}"
        self._window_header = str(window_ms)
        self._start_clock(clock)

    @property
    def api_key(self) -> str:
        """The ``X-API-Key`` value: base64 of the ED25519 public key. Not secret."""
        return self._api_key

    @property
    def window_ms(self) -> int:
        """The ``X-Window`` value in milliseconds."""
        return self._window_ms

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(api_key={mask_api_key(self._api_key)!r}, window_ms={self._window_ms}, "
            f"operations={len(self._instructions)})"
        )

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        """Sign ``request`` in place and yield it once; raise before yielding if it must not be sent."""
        instruction = lookup(self._instructions, request, "Backpack")
        if instruction is None:
            yield request
            return

        timestamp = str(self._now_ms())
        parts = [f"instruction={instruction}"]
        _append_sorted(parts, parse_qsl(request.url.query.decode("ascii"), keep_blank_values=True))
        if request.content:
            _append_sorted(parts, _body_pairs(request.content))
        parts.append(f"&timestamp={timestamp}")
        parts.append(self._suffix_window)
        signature = self._signing_key.sign("".join(parts).encode("utf-8")).signature

        request.headers["X-API-Key"] = self._api_key
        request.headers["X-Signature"] = base64.b64encode(signature).decode("ascii")
        request.headers["X-Timestamp"] = timestamp
        request.headers["X-Window"] = self._window_header
        yield request


def _normalise_instructions(
    instructions: Mapping[tuple[str, str], str | None],
) -> dict[tuple[str, str], str | None]:
    for (method, path), instruction in instructions.items():
        if instruction is not None and (not isinstance(instruction, str) or not instruction):
            raise ValueError(f"instruction for {method} {path} must be a non-empty string or None")
    return normalise(instructions)


def _append_sorted(parts: list[str], pairs: list[tuple[str, str]]) -> None:
    # str ordering is by code point, which is the same as UTF-8 byte order (the official client's BTreeMap).
    for key, value in sorted(pairs, key=lambda pair: pair[0]):
        parts.append(f"&{key}={value}")


def _body_pairs(content: bytes) -> list[tuple[str, str]]:
    try:
        body = json.loads(content)
    except ValueError:
        raise ValueError("Backpack request body is not JSON; only JSON-object bodies can be signed") from None
    if not isinstance(body, dict):
        raise ValueError("Backpack request body is not a JSON object; only JSON-object bodies can be signed")
    return [(key, _render_value(value)) for key, value in body.items()]


def _render_value(value: object) -> str:
    if isinstance(value, str):
        return value
    # Everything else as compact JSON, which gives true/false/null for the literals, the number as written
    # by json for int/float, and compact nested objects/arrays, matching serde_json's Value::to_string.
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
