"""Each form the redactor claims to scrub has its own test, which fails when that form is taken out of
auth_plugins/_redaction.py: a secret as given (a whole multi-line PEM becomes one marker), percent-encoded, a
PEM line by line, and ``signature=`` values. Each is shown on the redactor itself and through a factory client
whose server echoes the form back (error text, body excerpt, log records)."""

from __future__ import annotations

import logging
from typing import Final
from urllib.parse import quote

import binance_client
import pytest
from binance_client.api.margin import query_max_borrow
from okx_client.api.account import get_max_loan

from auth_plugins import APIError, RetryPolicy, binance, okx
from auth_plugins._redaction import REDACTED, Redactor, redact
from auth_plugins.sandbox import BINANCE_CREDENTIALS, OKX_CREDENTIALS, Sandbox

PEM: Final = BINANCE_CREDENTIALS.ed25519_private_key_pem
PEM_BODY_LINE: Final = PEM.strip().splitlines()[1]
# A passphrase whose percent-encoding differs from it ("/", "+", "=", " " and a non-ASCII letter).
PASSPHRASE: Final = "pass/phr+se= ünïcode"
ENCODED: Final = quote(PASSPHRASE, safe="")
NO_RETRY: Final = RetryPolicy(max_retries=0)


def _binance_ed25519(sbx: Sandbox) -> binance_client.AuthenticatedClient:
    return binance.make_client(
        api_key=BINANCE_CREDENTIALS.ed25519_api_key,
        private_key=PEM,
        base_url=sbx.base_url("binance"),
        retry=NO_RETRY,
        rate_limit=False,
    )


def _echoed_error(sbx: Sandbox, exchange: str, operation_id: str, message: str) -> APIError:
    sbx.fail(exchange, operation_id, 400, message=message)
    with pytest.raises(APIError) as caught:
        if exchange == "okx":
            client = okx.make_client(
                api_key=OKX_CREDENTIALS.api_key,
                api_secret=OKX_CREDENTIALS.api_secret,
                passphrase=PASSPHRASE,
                base_url=sbx.base_url("okx"),
                retry=NO_RETRY,
                rate_limit=False,
            )
            with client:
                get_max_loan.sync(client=client, mgn_mode="cross", ccy="BTC")
        else:
            with _binance_ed25519(sbx) as signed:
                query_max_borrow.sync(client=signed, asset="BTC")
    return caught.value


def test_a_secret_as_given_is_one_marker_a_whole_pem_armour_included() -> None:
    assert PEM.count("\n") >= 2  # a multi-line secret: its lines alone would leave the armour around markers
    assert Redactor([PEM]).redact(f"key={PEM}") == f"key={REDACTED}\n"
    assert Redactor(["plain-api-secret"]).redact("got plain-api-secret back") == f"got {REDACTED} back"


def test_a_secret_as_given_through_a_client_whose_server_echoes_the_whole_pem(sbx: Sandbox) -> None:
    error = _echoed_error(sbx, "binance", "query_max_borrow", f"bad key {PEM.strip()}")
    assert "BEGIN PRIVATE KEY" not in str(error) and PEM_BODY_LINE not in str(error)
    assert str(error).endswith(f": bad key {REDACTED}")


def test_a_secret_percent_encoded() -> None:
    assert ENCODED != PASSPHRASE
    cleaned = Redactor([PASSPHRASE]).redact(f"GET /x?passphrase={ENCODED}&y=1")
    assert cleaned == f"GET /x?passphrase={REDACTED}&y=1"


def test_a_secret_percent_encoded_through_a_client_whose_server_echoes_it(sbx: Sandbox) -> None:
    error = _echoed_error(sbx, "okx", "get_max_loan", f"unknown passphrase {ENCODED}")
    assert ENCODED not in str(error) and ENCODED not in error.body_excerpt
    assert str(error).endswith(f": unknown passphrase {REDACTED}")


def test_a_pem_line_by_line() -> None:
    # A PEM re-wrapped, or one line of it quoted alone: the whole block is not there to match, each line is.
    cleaned = Redactor([PEM]).redact(f"line 2 of the key file: {PEM_BODY_LINE}")
    assert cleaned == f"line 2 of the key file: {REDACTED}"


def test_a_pem_line_by_line_through_a_client_whose_server_echoes_one_line(sbx: Sandbox) -> None:
    error = _echoed_error(sbx, "binance", "query_max_borrow", f"cannot parse {PEM_BODY_LINE}")
    assert PEM_BODY_LINE not in str(error) and PEM_BODY_LINE not in error.body_excerpt
    assert str(error).endswith(f": cannot parse {REDACTED}")


def test_signature_values() -> None:
    text = "GET /sapi/v1/margin/maxBorrowable?asset=BTC&timestamp=1&signature=9f8e7d6c5b4a%2B&x=1"
    expected = f"GET /sapi/v1/margin/maxBorrowable?asset=BTC&timestamp=1&signature={REDACTED}&x=1"
    assert Redactor([]).redact(text) == expected
    assert redact(text) == expected  # no client active: the structural forms still apply


def test_signature_values_of_a_real_signed_url_in_a_log_record(sbx: Sandbox, caplog: pytest.LogCaptureFixture) -> None:
    with _binance_ed25519(sbx) as client:  # making a client installs the filter on the auth_plugins logger
        query_max_borrow.sync(client=client, asset="BTC")
    (record,) = sbx.requests("binance")
    signature = record.target.rsplit("signature=", 1)[1]
    assert len(signature) > 20
    with caplog.at_level(logging.INFO, logger="auth_plugins"):
        logging.getLogger("auth_plugins").info("sent %s", record.target)
    (message,) = [r.getMessage() for r in caplog.records if r.name == "auth_plugins"]
    assert message.endswith(f"&signature={REDACTED}") and signature not in caplog.text
