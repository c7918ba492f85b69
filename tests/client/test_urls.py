"""auth_plugins._urls: the fast query swap and target join equal httpx's own ``copy_with`` and ``join`` in every
observable way."""

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from auth_plugins._urls import with_query

BASES = [
    "https://api.binance.com/sapi/v1/margin/maxBorrowable",
    "https://api.binance.com/sapi/v1/margin/maxBorrowable?asset=BTC&isolatedSymbol=BTCUSDT",
    "http://127.0.0.1:8080/api/v3/time",
    "http://[::1]:9/x?a=%C3%BC&b=%26",
]


def _observable(url: httpx.URL) -> tuple[object, ...]:
    return (str(url), url.raw_path, url.query, url.host, url.port, url.scheme, url.path, url.params, url)


@settings(max_examples=200, derandomize=True, database=None, deadline=None)
@given(
    base=st.sampled_from(BASES),
    params=st.lists(st.tuples(st.text(min_size=1, max_size=8), st.text(max_size=12)), max_size=4),
    timestamp=st.integers(min_value=0, max_value=2**53),
    signature=st.binary(min_size=32, max_size=64),
)
def test_the_fast_swap_equals_copy_with(
    base: str, params: list[tuple[str, str]], timestamp: int, signature: bytes
) -> None:
    url = httpx.URL(base, params=params) if params else httpx.URL(base)
    # What a signer appends: digits and a hex or percent-encoded base64 signature, after httpx's own query.
    added = b"timestamp=%d&signature=%s" % (timestamp, signature.hex().encode())
    query = url.query + b"&" + added if url.query else added
    assert _observable(with_query(url, query)) == _observable(url.copy_with(query=query))


def test_it_falls_back_on_copy_with_when_httpx_keeps_urls_differently(monkeypatch: pytest.MonkeyPatch) -> None:
    url = httpx.URL(BASES[1])
    calls: list[bytes] = []
    original = httpx.URL.copy_with

    def tracking(self: httpx.URL, **kwargs: object) -> httpx.URL:
        calls.append(kwargs["query"])  # type: ignore[arg-type]
        return original(self, **kwargs)

    monkeypatch.setattr(httpx.URL, "copy_with", tracking)
    monkeypatch.delattr(url, "_uri_reference")
    assert calls == [] and not hasattr(url, "_uri_reference")
    with pytest.raises(AttributeError):
        with_query(url, b"a=1")  # copy_with itself needs the reference; the point is that it was the one called
    assert calls == [b"a=1"]


@settings(max_examples=200, derandomize=True, database=None, deadline=None)
@given(
    base=st.sampled_from(["https://www.okx.com", "http://127.0.0.1:8080", "https://api.binance.com/"]),
    path=st.sampled_from(["/api/v5/account/max-loan", "/api/v1/time", "/a/b%20c"]),
    params=st.lists(st.tuples(st.text(min_size=1, max_size=8), st.text(max_size=12)), max_size=4),
)
def test_join_equals_httpx_join(base: str, path: str, params: list[tuple[str, str]]) -> None:
    from urllib.parse import urlencode

    from auth_plugins._urls import join

    target = path + (f"?{urlencode(params)}" if params else "")
    url = httpx.URL(base)
    assert _observable(join(url, target)) == _observable(url.join(target))
