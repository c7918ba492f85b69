"""Decimal amounts end to end: exact from the wire, exact back to it, exact and signed in requests, floats refused.

Answers are scripted in the sandbox (``respond``), so the digits are ones no float holds; requests are checked
in what the sandbox received, after it verified the signature. No committed operation takes a decimal query
parameter, so that path is proven on a throwaway OKX endpoint generated into a temporary tree.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from decimal import Decimal
from pathlib import Path
from typing import Final

import pytest
import yaml
from binance_client.api.margin import query_max_borrow
from okx_client.api.flexible_loan import max_loan_amount
from okx_client.models import MaxLoanAmountRequest, SupplementaryCollateral

from auth_plugins import InvalidParameterError
from auth_plugins.sandbox import Sandbox
from scripts.codegen import generate
from tests._exchanges import EXCHANGES, call
from tests._specs import REPO, SPECS

MANY_DIGITS: Final = "12.000000000000000001"  # float("12.000000000000000001") == 12.0


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_answers_keep_every_digit_and_trailing_zeros(sbx: Sandbox, mode: str) -> None:
    sbx.respond("binance", "query_max_borrow", {"amount": MANY_DIGITS, "borrowLimit": "60.10"})
    result = call(EXCHANGES["binance"].client(sbx), query_max_borrow, mode, {"asset": "BTC"}, detailed=False)
    assert result.amount == Decimal(MANY_DIGITS) and str(result.amount) == MANY_DIGITS
    assert str(result.borrow_limit) == "60.10"
    assert result.to_dict() == {"amount": MANY_DIGITS, "borrowLimit": "60.10"}  # the wire form, exactly


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_a_decimal_in_a_request_body_goes_out_exactly_and_signed(sbx: Sandbox, mode: str) -> None:
    amounts = [Decimal("1.10"), Decimal("0.000000000000000001"), Decimal("1E+3")]
    body = MaxLoanAmountRequest(
        borrow_ccy="USDT", sup_collateral=[SupplementaryCollateral(ccy="BTC", amt=a) for a in amounts]
    )
    call(EXCHANGES["okx"].client(sbx), max_loan_amount, mode, {"body": body})
    (record,) = sbx.requests("okx")
    assert (record.auth, record.verdict) == ("ok", "ok")
    sent = json.loads(record.body)["supCollateral"]
    # Never a JSON number, never an exponent: the plain decimal string of each Decimal.
    assert [item["amt"] for item in sent] == ["1.10", "0.000000000000000001", "1000"]


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_a_float_in_a_request_body_is_refused_naming_the_field(sbx: Sandbox, mode: str) -> None:
    body = MaxLoanAmountRequest(borrow_ccy="USDT", sup_collateral=[SupplementaryCollateral(ccy="BTC", amt=0.5)])  # type: ignore[arg-type]
    with pytest.raises(InvalidParameterError) as caught:
        call(EXCHANGES["okx"].client(sbx), max_loan_amount, mode, {"body": body})
    assert caught.value.parameter == "supCollateral[0].amt" and "decimal" in caught.value.rule
    assert sbx.requests("okx") == []


# A throwaway OKX endpoint with a decimal query parameter; "amt" must reach the sandbox exactly and signed.
ENDPOINT: Final = """
openapi: 3.1.0
info: {title: OKX API v5 - a decimal query parameter, version: "5"}
paths:
  /api/v5/account/decimal-probe:
    get:
      operationId: get_decimal_probe
      tags: [account]
      externalDocs: {url: "https://www.okx.com/docs-v5/en/#probe"}
      security: [{apiKey: []}]
      x-signing: {auth-parameters: []}
      x-rate-limit: {documented: false}
      x-read-only: true
      parameters:
        - {name: amt, in: query, required: true, example: "1.5", schema: {type: string, format: decimal}}
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: {$ref: "#/components/schemas/ProbeResponse"}
              example: {code: "0", msg: "", data: []}
        "401": {description: auth, content: {application/json: {schema: {$ref: "#/components/schemas/ErrorResponse"}}}}
        "429": {description: limit, content: {application/json: {schema: {$ref: "#/components/schemas/ErrorResponse"}}}}
components:
  schemas:
    ProbeResponse:
      type: object
      required: [code, msg, data]
      properties: {code: {type: string}, msg: {type: string}, data: {type: array, items: {type: object}}}
"""

PROBE: Final = textwrap.dedent(
    """
    import asyncio, sys
    from decimal import Decimal
    from auth_plugins import InvalidParameterError
    from auth_plugins.sandbox import Sandbox
    from okx_client.api.account import get_decimal_probe
    from okx_client.errors import InvalidArgumentError
    from okx_client import Client
    from tests._exchanges import EXCHANGES

    with Sandbox() as sandbox, EXCHANGES["okx"].client(sandbox) as client:
        get_decimal_probe.sync(client=client, amt=Decimal("1.10"))
        asyncio.run(get_decimal_probe.asyncio(client=client, amt=Decimal("0.000000000000000001")))
        try:
            get_decimal_probe.sync(client=client, amt=0.5)
        except InvalidParameterError as error:
            print("refused", error.parameter, error.python_name)
        with Client(base_url=sandbox.base_url("okx")) as plain:
            try:
                get_decimal_probe.sync_detailed(client=plain, amt=0.5)
            except InvalidArgumentError as error:
                print("plain client refused:", error)
        for record in sandbox.requests("okx"):
            print(record.target, record.auth, record.verdict)
    """
)


def test_a_decimal_query_parameter_goes_out_exactly_and_signed_and_a_float_is_refused(tmp_path: Path) -> None:
    specs = tmp_path / "specs"
    (specs / "okx").mkdir(parents=True)
    for path in (SPECS / "okx").rglob("*.yaml"):
        target = specs / "okx" / path.relative_to(SPECS / "okx")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(path.read_text())
    (specs / "okx" / "endpoints" / "account.get_decimal_probe.yaml").write_text(
        yaml.safe_dump(yaml.safe_load(ENDPOINT), sort_keys=False)
    )
    generate.generate_exchange(specs / "okx", tmp_path / "out")
    module = (tmp_path / "out" / "generated" / "okx_client" / "api" / "account" / "get_decimal_probe.py").read_text()
    assert "amt: Decimal," in module and "errors.InvalidArgumentError: a float given" in module
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(tmp_path / "out" / "generated"), str(REPO)]))
    result = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "refused amt amt",
        "plain client refused: get_decimal_probe: parameter 'amt' must be a decimal.Decimal, not a float",
        "/api/v5/account/decimal-probe?amt=1.10 ok ok",
        "/api/v5/account/decimal-probe?amt=0.000000000000000001 ok ok",
    ]
