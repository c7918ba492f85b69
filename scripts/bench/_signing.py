"""Signing alone, per scheme: our ``httpx.Auth`` flow on a prebuilt request, against the bare crypto primitive.

Ours is ``next(auth.sync_auth_flow(request))`` exactly as httpx drives it (route lookup, timestamp, building
the signed string, the signature, setting headers or the query), on requests built before the clock starts:
signing mutates a request, so each timed call gets its own. The primitive is the library call alone on a
payload of the same length: ``hmac`` copy + update + hexdigest or base64 of the digest, PyNaCl ``sign``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Callable
from typing import Any, Final

import httpx
from nacl.signing import SigningKey

from ._fresh import run_rounds, worker_main
from ._stats import summary

__all__ = ["SCHEMES", "primitive", "run_signing"]

SCHEMES: Final = {
    "hmac-hex": "binance.query_max_borrow[hmac-hex]",
    "hmac-base64": "okx.get_max_loan[hmac-base64]",
    "ed25519": "backpack.get_max_borrow_quantity[ed25519]",
    "ed25519 (binance)": "binance.query_max_borrow[ed25519]",
}
"""Each scheme and the per-call case whose request it signs."""


def _signer(scheme: str, creds: dict[str, dict[str, str]]) -> httpx.Auth:
    if scheme == "ed25519":
        from auth_plugins.backpack import BackpackAuth

        return BackpackAuth(creds["backpack"]["api_secret"])
    if scheme == "hmac-base64":
        from auth_plugins.okx import OkxAuth

        c = creds["okx"]
        return OkxAuth(c["api_key"], c["api_secret"], c["passphrase"])
    from auth_plugins.binance import BinanceAuth

    c = creds["binance"]
    if scheme == "hmac-hex":
        return BinanceAuth(c["hmac_api_key"], api_secret=c["hmac_api_secret"])
    return BinanceAuth(c["ed25519_api_key"], private_key=c["ed25519_private_key_pem"])


def primitive(scheme: str, payload_length: int) -> Callable[[], object]:
    """The bare signature primitive of ``scheme`` on a payload of ``payload_length`` bytes, as a call."""
    payload = b"x" * payload_length
    if scheme.startswith("ed25519"):
        key = SigningKey(b"\x01" * 32)
        return lambda: key.sign(payload).signature
    keyed = hmac.new(b"k" * 32, digestmod=hashlib.sha256)
    if scheme == "hmac-hex":

        def hex_signature() -> object:
            mac = keyed.copy()
            mac.update(payload)
            return mac.hexdigest()

        return hex_signature

    def base64_signature() -> object:
        mac = keyed.copy()
        mac.update(payload)
        return base64.b64encode(mac.digest())

    return base64_signature


def _measure(payload: dict[str, Any]) -> dict[str, dict[str, list[float]]]:
    base_url, size = "http://127.0.0.1:9", payload["batch"]
    out: dict[str, dict[str, list[float]]] = {}
    for scheme, floor in payload["requests"].items():
        auth = _signer(scheme, payload["credentials"])
        content = floor["body"].encode("utf-8")
        headers = {"Content-Type": floor["content_type"]} if floor["content_type"] else {}

        method, url = floor["method"], base_url + floor["target"]

        # Signed string length, roughly: path + query + body + timestamp and framing; close enough for a primitive.
        bare_call = primitive(scheme, len(floor["target"]) + len(content) + 40)
        times: dict[str, list[float]] = {"ours": [], "primitive": []}
        for index in range(payload["batches"] + 1):
            requests = [httpx.Request(method, url, content=content, headers=headers) for _ in range(size)]
            start = time.perf_counter_ns()
            for request in requests:
                next(auth.sync_auth_flow(request))
            ours = (time.perf_counter_ns() - start) / size / 1000
            start = time.perf_counter_ns()
            for _ in range(size):
                bare_call()
            bare = (time.perf_counter_ns() - start) / size / 1000
            if index:  # the first batch is the warm-up
                times["ours"].append(ours)
                times["primitive"].append(bare)
        out[scheme] = times
    return out


def run_signing(
    requests: dict[str, dict[str, Any]],
    credentials: dict[str, dict[str, str]],
    *,
    rounds: int,
    batches: int,
    batch: int,
    cpu: int | None,
) -> dict[str, Any]:
    """Run ``rounds`` fresh worker processes; per scheme, microseconds per signature, ours and primitive
    (median, p10, p90 over all batches), and ``overhead_us`` = median ours - median primitive.

    ``requests`` maps each scheme of :data:`SCHEMES` to the verified floor request it signs.
    """
    payload = {
        "requests": requests,
        "credentials": credentials,
        "batches": batches,
        "batch": batch,
        "cpu": cpu,
    }
    merged = run_rounds("_signing", rounds, payload)
    out: dict[str, Any] = {}
    for scheme, times in merged.items():
        ours, primitive = summary(times["ours"]), summary(times["primitive"])
        out[scheme] = {
            "signs": SCHEMES[scheme],
            "ours_us": ours,
            "primitive_us": primitive,
            "overhead_us": round(ours["median"] - primitive["median"], 2),
        }
    return out


if __name__ == "__main__":
    worker_main(_measure)
