"""Before anything is timed: every case goes once through its factory client to the real sandbox, which verifies it.

The sandbox validates each request against the spec and recomputes its signature, so a benchmark of broken
requests cannot pass this step. What the sandbox received (minus the parameters a signer adds) becomes the
floor's request, so floor and ours send the same path, query and body.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from ._cases import CASES, Case, FloorRequest, api_module, credentials, make_ours, sample_kwargs, unsigned_target

__all__ = ["VerificationError", "Verified", "verify_cases"]


class VerificationError(Exception):
    """A case's request was refused or answered wrongly by the sandbox; nothing should be timed."""


@dataclass(frozen=True)
class Verified:
    """One case that the sandbox answered 200 with ``auth`` ``"ok"`` (signed) or ``None`` (public)."""

    case: Case
    auth: str | None
    floor: FloorRequest


def verify_cases(cases: tuple[Case, ...] = CASES) -> list[Verified]:
    """Send each case once through its factory client to a fresh sandbox; return what it verified.

    Raises :class:`VerificationError` naming the case when the answer is not a parsed 200, when the sandbox's
    verdict or signature check is not ``ok``, or when the sandbox sent an answer that breaks the spec.
    """
    from auth_plugins.sandbox import Sandbox

    creds = credentials()
    verified: list[Verified] = []
    # werkzeug logs every request line, Binance's signature query included; signatures never go to our output.
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    with Sandbox() as sandbox:
        for case in cases:
            kwargs = sample_kwargs(case)
            with make_ours(case, creds, sandbox.base_url(case.exchange)) as client:
                response = api_module(case).sync_detailed(client=client, **kwargs)
            record = sandbox.requests(case.exchange)[-1]
            expected_auth = "ok" if case.scheme != "public" else None
            if response.status_code != 200 or response.parsed is None:
                raise VerificationError(f"{case.key}: answered {response.status_code}, verdict {record.verdict}")
            if record.verdict != "ok" or record.auth != expected_auth or record.operation_id != case.operation:
                raise VerificationError(f"{case.key}: sandbox verdict {record.verdict}, signature check {record.auth}")
            floor = FloorRequest(
                method=record.method,
                target=unsigned_target(record.target, case.exchange),
                body=record.body.decode("utf-8"),
                content_type=record.headers.get("content-type") if record.body else None,
            )
            verified.append(Verified(case, record.auth, floor))
        violations = sandbox.violations
    if violations:
        raise VerificationError("the sandbox broke its own spec: " + "; ".join(map(str, violations)))
    return verified
