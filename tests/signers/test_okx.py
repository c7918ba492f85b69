"""The OKX signer: exchanges.md vectors, the demo header, timestamps."""

import httpx
import pytest

from auth_plugins.okx import OkxAuth
from tests.signers._vectors import (
    OKX_API_KEY,
    OKX_BASE,
    OKX_PASSPHRASE,
    OKX_SECRET,
    OKX_TIMESTAMP_ISO,
    OKX_TIMESTAMP_MS,
    okx,
    sign,
)

# --- OKX ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "url", "content", "expected"),
    [
        # exchanges.md 3.1, self-computed vectors with the documentation's secret and timestamp.
        ("GET", "/api/v5/account/balance?ccy=BTC", b"", "HiZhvSfMtWJA3uUIVXV3a/bSXNPCWvYFXoGCVS8V4zY="),
        (
            "GET",
            "/api/v5/account/max-loan?mgnMode=cross&instId=BTC-USDT",
            b"",
            "Uyu5/rQqrtG7A1xadsKi5zXjQcUcx9LculIQTWE6vvU=",
        ),
        (
            "POST",
            "/api/v5/finance/flexible-loan/max-loan",
            b'{"borrowCcy":"USDT","supCollateral":[{"ccy":"BTC","amt":"1"}]}',
            "nNe8LdAyJardVE0p8OnIXVMikmqthCEVagWvKet2zmQ=",
        ),
        (
            "POST",
            "/api/v5/finance/flexible-loan/max-loan",
            b'{"borrowCcy": "USDT", "supCollateral": [{"ccy": "BTC", "amt": "1"}]}',
            "kSgFyIXm8wKvY26RzHhV2gxRLrZA7eYGjX0YzLbmpUk=",
        ),
    ],
)
def test_okx_vectors(method: str, url: str, content: bytes, expected: str) -> None:
    signed = sign(okx(), httpx.Request(method, f"{OKX_BASE}{url}", content=content))
    assert signed.headers["OK-ACCESS-SIGN"] == expected
    assert signed.headers["OK-ACCESS-TIMESTAMP"] == OKX_TIMESTAMP_ISO
    assert signed.headers["OK-ACCESS-KEY"] == OKX_API_KEY
    assert signed.headers["OK-ACCESS-PASSPHRASE"] == OKX_PASSPHRASE
    assert signed.content == content


def test_okx_compact_json_from_httpx_matches_vector() -> None:
    # httpx 0.28 serialises json= compactly, which is the exchanges.md 3.1 compact-body vector.
    body = {"borrowCcy": "USDT", "supCollateral": [{"ccy": "BTC", "amt": "1"}]}
    signed = sign(okx(), httpx.Request("POST", f"{OKX_BASE}/api/v5/finance/flexible-loan/max-loan", json=body))
    assert signed.headers["OK-ACCESS-SIGN"] == "nNe8LdAyJardVE0p8OnIXVMikmqthCEVagWvKet2zmQ="


def test_okx_demo_header() -> None:
    url = f"{OKX_BASE}/api/v5/account/balance?ccy=BTC"
    assert sign(okx(demo=True), httpx.Request("GET", url)).headers["x-simulated-trading"] == "1"
    assert "x-simulated-trading" not in sign(okx(), httpx.Request("GET", url)).headers
    stray = httpx.Request("GET", url, headers={"x-simulated-trading": "1"})
    assert "x-simulated-trading" not in sign(okx(), stray).headers


@pytest.mark.parametrize(
    ("ms", "iso"),
    [
        (OKX_TIMESTAMP_MS, OKX_TIMESTAMP_ISO),
        (0, "1970-01-01T00:00:00.000Z"),
        (1607418537001, "2020-12-08T09:08:57.001Z"),
        (1607418537999, "2020-12-08T09:08:57.999Z"),
        (1709251199999, "2024-02-29T23:59:59.999Z"),
    ],
)
def test_okx_timestamp_format(ms: int, iso: str) -> None:
    signed = sign(okx(clock_ms=ms), httpx.Request("GET", f"{OKX_BASE}/api/v5/account/balance"))
    assert signed.headers["OK-ACCESS-TIMESTAMP"] == iso


@pytest.mark.parametrize("argument", ["api_key", "api_secret", "passphrase"])
def test_okx_empty_arguments(argument: str) -> None:
    values = {"api_key": OKX_API_KEY, "api_secret": OKX_SECRET, "passphrase": OKX_PASSPHRASE}
    values[argument] = ""
    with pytest.raises(ValueError, match=f"^{argument} is empty$") as excinfo:
        OkxAuth(values["api_key"], values["api_secret"], values["passphrase"])
    for secret in (OKX_SECRET, OKX_PASSPHRASE):
        assert secret not in str(excinfo.value)
