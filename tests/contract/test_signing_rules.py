"""Every signing rule matters: deleting any one of them from a signer makes the contract check fail.

Each mutation is a source-level edit of a signer module (``auth_plugins.<exchange>._signer``): every edit must
match the source exactly once, so a mutation cannot silently rot when the signer is rewritten; the edited
source is compiled into a fresh module and its signer class is plugged into the public factory. The contract
check then calls every kind of signed operation of that exchange (the richest operation of each kind, see
tests/contract/_cases.py; every key type, sample and awkward arguments) through ``make_client`` against a
sandbox on a frozen clock, and the sandbox must refuse at least one of
those requests on authentication grounds. The unmutated source, compiled the same way, must pass the same check.
"""

from __future__ import annotations

import inspect
import types
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final

import pytest

from auth_plugins.backpack import _signer as backpack_signer
from auth_plugins.binance import _signer as binance_signer
from auth_plugins.okx import _signer as okx_signer
from auth_plugins.sandbox import RequestRecord, Sandbox
from tests.contract._cases import Case, contract_cases, make_sandbox_client, representatives

T0: Final = 1_700_000_000_123
SIGNERS: Final = {
    "backpack": (backpack_signer, "BackpackAuth"),
    "binance": (binance_signer, "BinanceAuth"),
    "okx": (okx_signer, "OkxAuth"),
}


@dataclass(frozen=True)
class Mutation:
    """Delete one documented signing ``rule`` of ``exchange``'s signer by replacing source text."""

    exchange: str
    rule: str
    edits: tuple[tuple[str, str], ...]


def _edit(exchange: str, rule: str, old: str, new: str) -> Mutation:
    return Mutation(exchange, rule, ((old, new),))


MUTATIONS: Final = [
    # Backpack: instruction=<name>&<sorted, decoded params>&timestamp=<ms>&window=<ms>, ED25519.
    _edit("backpack", "params sorted by key", "sorted(pairs, key=lambda pair: pair[0])", "pairs"),
    _edit("backpack", "instruction prefix", 'parts = [f"instruction={instruction}"]', "parts: list[str] = []"),
    _edit("backpack", "window signed", "parts.append(self._suffix_window)", "pass"),
    _edit("backpack", "timestamp signed", 'parts.append(f"&timestamp={timestamp}")', "pass"),
    _edit(
        "backpack",
        "decoded values signed",
        'parse_qsl(request.url.query.decode("ascii"), keep_blank_values=True)',
        '[(k, v) for k, _, v in (p.partition("=") for p in request.url.query.decode("ascii").split("&") if p)]',
    ),
    # Binance: sign query-as-sent (with recvWindow/timestamp) + body; HMAC hex or Ed25519 base64 percent-encoded.
    _edit(
        "binance",
        "timestamp added before signing",
        "payload = query + request.content",
        "payload = request.url.query + request.content",
    ),
    Mutation(
        "binance",
        "query signed exactly as sent",
        (
            ("from urllib.parse import quote", "from urllib.parse import parse_qsl, quote, urlencode"),
            (
                "payload = query + request.content",
                'payload = urlencode(parse_qsl(query.decode("ascii")), quote_via=quote).encode() + request.content',
            ),
        ),
    ),
    _edit("binance", "HMAC signature is hex", 'mac.hexdigest().encode("ascii")', "base64.b64encode(mac.digest())"),
    _edit(
        "binance",
        "Ed25519 signature percent-encoded",
        'quote(base64.b64encode(raw), safe="").encode("ascii")',
        "base64.b64encode(raw)",
    ),
    # OKX: base64 HMAC-SHA256 of timestamp + METHOD + path?query + body; ISO timestamp with millis; demo header.
    _edit("okx", "query in the prehash", "request.url.raw_path)", 'request.url.raw_path.partition(b"?")[0])'),
    _edit("okx", "body in the prehash", "mac.update(request.content)", "pass"),
    _edit("okx", "upper-case method", 'request.method.encode("ascii")', 'request.method.lower().encode("ascii")'),
    _edit("okx", "timestamp with milliseconds", '+ f".{millis:03d}Z"', '+ "Z"'),
    _edit("okx", "base64 signature", 'base64.b64encode(mac.digest()).decode("ascii")', "mac.hexdigest()"),
    _edit("okx", "demo header for a demo key", 'request.headers["x-simulated-trading"] = "1"', "pass"),
]

# Rules the contract check cannot see today, each with the reason; a test asserts they still pass unnoticed,
# so the day the reason goes away it fails and the mutation moves to MUTATIONS.
UNCAUGHT: Final = [
    pytest.param(
        _edit("binance", "body signed", "payload = query + request.content", "payload = query"),
        id="binance-body signed: no bundled Binance operation has a request body",
    ),
]


def mutant_class(mutation: Mutation) -> type:
    """Compile the signer module with ``mutation`` applied; return its signer class."""
    module, class_name = SIGNERS[mutation.exchange]
    source = inspect.getsource(module)
    for old, new in mutation.edits:
        count = source.count(old)
        assert count == 1, f"{mutation.exchange} '{mutation.rule}': {old!r} occurs {count} times in {module.__name__}"
        source = source.replace(old, new)
    mutant = types.ModuleType(f"{module.__name__}_mutant")
    exec(compile(source, f"<{module.__name__} without '{mutation.rule}'>", "exec"), mutant.__dict__)
    signer: type = getattr(mutant, class_name)
    return signer


@pytest.fixture(scope="module")
def frozen() -> Iterator[Sandbox]:
    """A sandbox whose clock stands still at ``T0``: signatures are deterministic, timing plays no part."""
    with Sandbox(clock=lambda: T0) as sandbox:
        yield sandbox


def contract_check(sandbox: Sandbox, exchange: str) -> list[RequestRecord]:
    """Call each kind of signed operation of ``exchange`` once per key type and argument set, through the public
    factory on a clock frozen at ``T0``; return what the sandbox recorded."""
    sandbox.reset()
    cases = _signed_cases(exchange)
    for variant in dict.fromkeys(case.variant for case in cases):
        # Rate limits are not the subject here (tests/test_rate_limit.py); hundreds of calls would wait on them.
        with make_sandbox_client(
            exchange, variant, sandbox.base_url(exchange), clock=lambda: T0, rate_limit=False
        ) as client:
            for case in (case for case in cases if case.variant == variant):
                try:
                    case.module.sync_detailed(client=client, **case.kwargs())
                except Exception as error:
                    # A client raises a typed error (with ``status``) for a refusal; the sandbox's log is the verdict.
                    if not hasattr(error, "status"):
                        raise
    assert not sandbox.violations, sandbox.violations
    return sandbox.requests(exchange)


def _signed_cases(exchange: str) -> list[Case]:
    """The signing rules are the signer's, the same for every operation of a kind: its richest one stands in."""
    return [case for case in representatives(contract_cases()) if case.exchange == exchange and case.signed]


def _signed_case_count(exchange: str) -> int:
    return len(_signed_cases(exchange))


def _refused(records: list[RequestRecord]) -> list[str]:
    """The signed requests the sandbox refused on authentication grounds (public ones have ``auth`` None)."""
    return [f"{r.operation_id}: {r.auth}" for r in records if r.auth not in ("ok", None)]


def plug(monkeypatch: pytest.MonkeyPatch, mutation: Mutation) -> list[object]:
    """Make the public factory of ``mutation.exchange`` build the mutant signer; return the list every mutant
    signer is appended to when created, so a test can prove the mutant is what signed."""
    created: list[object] = []
    mutant = mutant_class(mutation)

    def tracked(*args: object, **kwargs: object) -> object:
        signer = mutant(*args, **kwargs)
        created.append(signer)
        return signer

    monkeypatch.setattr(f"auth_plugins.{mutation.exchange}._client.{SIGNERS[mutation.exchange][1]}", tracked)
    return created


@pytest.mark.parametrize("exchange", list(SIGNERS))
def test_the_unmutated_signer_passes_the_check(frozen: Sandbox, monkeypatch: pytest.MonkeyPatch, exchange: str) -> None:
    created = plug(monkeypatch, Mutation(exchange, "none", ()))
    records = contract_check(frozen, exchange)
    assert created
    assert len(records) == _signed_case_count(exchange)
    assert [(r.auth, r.verdict, r.status) for r in records] == [("ok", "ok", 200)] * len(records)


@pytest.mark.parametrize("mutation", MUTATIONS, ids=[f"{m.exchange}-{m.rule}" for m in MUTATIONS])
def test_deleting_a_signing_rule_is_caught(
    frozen: Sandbox, monkeypatch: pytest.MonkeyPatch, mutation: Mutation
) -> None:
    created = plug(monkeypatch, mutation)
    records = contract_check(frozen, mutation.exchange)
    assert created
    assert _refused(records), f"no request was refused without '{mutation.rule}'"


@pytest.mark.parametrize("mutation", UNCAUGHT)
def test_rules_the_check_cannot_see_yet(frozen: Sandbox, monkeypatch: pytest.MonkeyPatch, mutation: Mutation) -> None:
    created = plug(monkeypatch, mutation)
    records = contract_check(frozen, mutation.exchange)
    assert created
    assert not _refused(records), f"'{mutation.rule}' is now caught: move it to MUTATIONS"
