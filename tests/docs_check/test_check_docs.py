"""scripts/docs_check/check.py: the shared doc pages agree with our specs, and each kind of drift is reported once.

Mutations are made on copies of the doc pages (or of specs/) inside tmp_path. The pages are
../shared/exchange-docs when that folder exists, else the snapshot of them the specs were written from,
tests/fixtures/exchange-docs; a test keeps the snapshot equal to the shared pages whenever both are present.

Counts (pages, spec operations without a page) are derived from the folder and from specs/*/endpoints/, read
here without the checker's code, so a new endpoint file or page changes the expectation, not the test.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from scripts.docs_check._model import FieldType
from scripts.docs_check._pages import (
    bounds,
    default_value,
    described_values,
    english_part,
    enum_values,
    list_limit,
    parse_conditional,
    parse_required,
    parse_type,
    read_only_permission,
    split_front_matter,
)
from scripts.docs_check._specs import load_specs
from scripts.docs_check.check import Difference, Report, check, main
from tests._specs import REPO, all_operations

SHARED_DOCS = REPO.parent / "shared" / "exchange-docs"
SNAPSHOT_DOCS = REPO / "tests" / "fixtures" / "exchange-docs"
DOCS = SHARED_DOCS if SHARED_DOCS.is_dir() else SNAPSHOT_DOCS
SPECS = REPO / "specs"
PAGES = sorted(page.name for page in DOCS.glob("*.md"))

BP_BORROW = "backpack-get-max-borrow-quantity.md"
BP_WITHDRAW = "backpack-get-max-withdrawal-quantity.md"
BN_BORROW = "binance-query-max-borrow.md"
OKX_FLEX = "okx-flexible-loan-maximum-loan-amount.md"
OKX_LOAN = "okx-get-maximum-loan-of-instrument.md"

SPEC_BP_BORROW = "specs/backpack/endpoints/account.get_max_borrow_quantity.yaml"
SPEC_BP_WITHDRAW = "specs/backpack/endpoints/account.get_max_withdrawal_quantity.yaml"
SPEC_BN_BORROW = "specs/binance/endpoints/margin.query_max_borrow.yaml"
SPEC_OKX_FLEX = "specs/okx/endpoints/flexible_loan.max_loan_amount.yaml"
SPEC_OKX_LOAN = "specs/okx/endpoints/account.get_max_loan.yaml"
X_WINDOW = "parameter X-WINDOW (x-signing.auth-parameters)"
_FRONT_MATTER_URL = re.compile(r"^source_url:\s*(\S+)\s*$", re.MULTILINE)
_SOURCE_LINK = re.compile(r"\*\*Source:\*\*\s*\[[^\]]*\]\((\S+?)\)")


@pytest.fixture
def docs(tmp_path: Path) -> Path:
    """A private copy of the doc pages (shared ones when present, else the snapshot), free to mutate."""
    folder = tmp_path / "exchange-docs"
    shutil.copytree(DOCS, folder)
    return folder


def page_url(page: Path) -> str:
    """A page's source URL: front matter ``source_url:``, else its ``**Source:**`` link."""
    text = page.read_text(encoding="utf-8")
    found = _FRONT_MATTER_URL.search(text) or _SOURCE_LINK.search(text)
    assert found, f"{page.name} names no source URL"
    return found[1].rstrip("/")


def page_urls(folder: Path) -> set[str]:
    """The source URLs of the pages in ``folder``."""
    return {page_url(page) for page in folder.glob("*.md")}


@cache
def endpoint_operations() -> tuple[tuple[str, str, str], ...]:
    """``(spec file label, exchange, externalDocs.url)`` of every operation in specs/*/endpoints/*.yaml."""
    found = []
    for file in sorted(SPECS.glob("*/endpoints/*.yaml")):
        doc: dict[str, Any] = yaml.safe_load(file.read_text(encoding="utf-8"))
        for item in doc["paths"].values():
            for operation in item.values():
                if isinstance(operation, dict) and "responses" in operation:
                    label = file.relative_to(SPECS.parent).as_posix()
                    found.append((label, file.parent.parent.name, operation["externalDocs"]["url"].rstrip("/")))
    return tuple(found)


def documented_by(page: Path) -> tuple[str, str]:
    """``(spec file label, exchange)`` of the operation whose externalDocs.url is the page's source URL."""
    matches = [(label, exchange) for label, exchange, url in endpoint_operations() if url == page_url(page)]
    assert len(matches) == 1, f"{page.name}: {len(matches)} spec operations have its source URL"
    return matches[0]


def files_without_a_page(folder: Path) -> list[str]:
    """Spec files whose operation no page in ``folder`` documents, for exchanges that have a page there."""
    urls = page_urls(folder)
    operations = endpoint_operations()
    exchanges = {exchange for _, exchange, url in operations if url in urls}
    return sorted(label for label, exchange, url in operations if exchange in exchanges and url not in urls)


def noted_files(report: Report) -> list[str]:
    """The spec files the report's notes name, sorted."""
    return sorted(note.split(":")[0] for note in report.notes)


def test_the_snapshot_equals_the_shared_pages() -> None:
    if not SHARED_DOCS.is_dir():
        pytest.skip(f"shared doc pages not found at {SHARED_DOCS}; the snapshot stands in for them")
    shared = {page.name: page.read_bytes() for page in SHARED_DOCS.glob("*.md")}
    snapshot = {page.name: page.read_bytes() for page in SNAPSHOT_DOCS.glob("*.md")}
    assert shared == snapshot, "the shared doc pages changed: run make check-docs, update specs, then the snapshot"


def edit(folder: Path, page: str, old: str, new: str) -> None:
    """Replace the first ``old`` in ``page`` (the English half comes first)."""
    text = (folder / page).read_text(encoding="utf-8")
    assert old in text, f"the shared page {page} no longer contains {old!r}; update this test"
    (folder / page).write_text(text.replace(old, new, 1), encoding="utf-8")


def test_shared_pages_agree_with_specs(docs: Path) -> None:
    report = check(docs, SPECS)
    assert report.differences == []
    assert report.unreadable == []
    assert report.pages == len(PAGES) > 0
    assert report.ok


def test_spec_operations_without_a_page_are_notes_not_differences(docs: Path) -> None:
    report = check(docs, SPECS)
    assert report.ok
    assert noted_files(report) == files_without_a_page(docs)


@pytest.mark.parametrize("page", PAGES)
def test_a_page_taken_away_leaves_its_operation_as_a_note(docs: Path, page: str) -> None:
    label, exchange = documented_by(docs / page)
    (docs / page).unlink()
    report = check(docs, SPECS)
    assert report.ok
    assert noted_files(report) == files_without_a_page(docs)
    exchange_has_pages = any(documented_by(other)[1] == exchange for other in docs.glob("*.md"))
    # Its operation becomes a note, unless the exchange has no page left (then none of its operations is one).
    assert (label in noted_files(report)) == exchange_has_pages
    if not exchange_has_pages:
        assert not any(note.startswith(f"specs/{exchange}/") for note in noted_files(report))


def test_notes_only_for_exchanges_with_pages(docs: Path) -> None:
    exchanges = sorted({documented_by(page)[1] for page in docs.glob("*.md")})
    assert len(exchanges) > 1, "needs pages of two exchanges to take one exchange's away"
    for exchange in exchanges[1:]:
        for page in docs.glob("*.md"):
            if documented_by(page)[1] == exchange:
                page.unlink()
    report = check(docs, SPECS)
    assert report.ok
    assert noted_files(report) == files_without_a_page(docs)
    assert all(label.startswith(f"specs/{exchanges[0]}/") for label in noted_files(report))


def test_the_checker_reads_every_bundled_operation() -> None:
    operations, problems = load_specs(SPECS)
    assert problems == []
    loaded = sorted((op.exchange, op.method, op.path) for op in operations)
    assert len(loaded) == len(endpoint_operations())
    assert {(exchange, method, path) for exchange, method, path, _ in all_operations()} <= set(loaded)


@dataclass(frozen=True)
class Mutation:
    """One edit of one shared page and the single difference it must produce."""

    page: str
    old: str
    new: str
    expected: Difference


def _diff(page: str, spec: str, what: str, page_value: str, spec_value: str) -> Difference:
    return Difference(page, spec, what, page_value, spec_value)


MUTATIONS = {
    "parameter added": Mutation(
        BN_BORROW,
        "isolatedSymbol| STRING| NO| isolated symbol  \n",
        "isolatedSymbol| STRING| NO| isolated symbol  \nsideEffectType| STRING| NO| new  \n",
        _diff(BN_BORROW, SPEC_BN_BORROW, "parameter sideEffectType", "present", "absent"),
    ),
    "parameter removed": Mutation(
        BP_WITHDRAW,
        "| autoLendRedeem | optional | boolean | Whether the withdrawal is with auto lend redeem. |\n",
        "",
        _diff(BP_WITHDRAW, SPEC_BP_WITHDRAW, "parameter autoLendRedeem", "absent", "present"),
    ),
    "parameter renamed": Mutation(
        OKX_LOAN,
        "tradeQuoteCcy | String | No |",
        "quoteCcy | String | No |",
        _diff(OKX_LOAN, SPEC_OKX_LOAN, "parameter tradeQuoteCcy: name", "quoteCcy", "tradeQuoteCcy"),
    ),
    "required flipped": Mutation(
        OKX_LOAN,
        "instId | String | Conditional |",
        "instId | String | Yes |",
        _diff(OKX_LOAN, SPEC_OKX_LOAN, "parameter instId: required", "true", "false"),
    ),
    "response field renamed": Mutation(
        OKX_FLEX,
        "notionalUsd | String |",
        "notionalUSD | String |",
        _diff(OKX_FLEX, SPEC_OKX_FLEX, "response field notionalUsd: name", "notionalUSD", "notionalUsd"),
    ),
    "path changed": Mutation(
        BN_BORROW,
        "GET `/sapi/v1/margin/maxBorrowable`",
        "GET `/sapi/v2/margin/maxBorrowable`",
        _diff(BN_BORROW, SPEC_BN_BORROW, "path", "/sapi/v2/margin/maxBorrowable", "/sapi/v1/margin/maxBorrowable"),
    ),
    "rate limit changed": Mutation(
        OKX_LOAN,
        "Rate Limit: 20 requests per 2 seconds",
        "Rate Limit: 10 requests per 2 seconds",
        _diff(OKX_LOAN, SPEC_OKX_LOAN, "x-rate-limit.limit", "10", "20"),
    ),
    "enum value added": Mutation(
        OKX_LOAN,
        "`isolated` `cross`",
        "`isolated` `cross` `spot_isolated`",
        _diff(
            OKX_LOAN, SPEC_OKX_LOAN, "parameter mgnMode: enum", "[cross, isolated, spot_isolated]", "[cross, isolated]"
        ),
    ),
    "binance weight changed": Mutation(
        BN_BORROW,
        "**750(UID)**",
        "**1000(UID)**",
        _diff(BN_BORROW, SPEC_BN_BORROW, "x-rate-limit.weight", "1000", "750"),
    ),
    "backpack status removed": Mutation(
        BP_BORROW,
        "\n**503**\n\nService unavailable.\n",
        "",
        _diff(BP_BORROW, SPEC_BP_BORROW, "response status 503", "absent", "present"),
    ),
    # Beyond the list in the issue: each other fact the checker compares.
    "backpack status added": Mutation(
        BP_WITHDRAW,
        "**400**",
        "**404**\n\nNot found.\n\n**400**",
        _diff(BP_WITHDRAW, SPEC_BP_WITHDRAW, "response status 404", "present", "absent"),
    ),
    "backpack response required flipped": Mutation(
        BP_BORROW,
        "| symbol            | required | string           |",
        "| symbol            | optional | string           |",
        _diff(BP_BORROW, SPEC_BP_BORROW, "response field symbol: required", "false", "true"),
    ),
    "backpack instruction changed": Mutation(
        BP_BORROW,
        "**Instruction:** `maxBorrowQuantity`",
        "**Instruction:** `maxBorrowQty`",
        _diff(BP_BORROW, SPEC_BP_BORROW, "x-signing.instruction", "maxBorrowQty", "maxBorrowQuantity"),
    ),
    "backpack auth header type changed": Mutation(
        BP_WITHDRAW,
        "| X-WINDOW    | optional | integer <uint64> |",
        "| X-WINDOW    | optional | integer <int32>  |",
        _diff(
            BP_WITHDRAW,
            SPEC_BP_WITHDRAW,
            "parameter X-WINDOW (x-signing.auth-parameters): type",
            "integer <int32>",
            "integer <uint64>",
        ),
    ),
    "binance auth parameter removed": Mutation(
        BN_BORROW,
        "timestamp| LONG| YES|   \n",
        "",
        _diff(BN_BORROW, SPEC_BN_BORROW, "parameter timestamp (x-signing.auth-parameters)", "absent", "present"),
    ),
    "binance type changed": Mutation(
        BN_BORROW,
        "recvWindow| LONG|",
        "recvWindow| STRING|",
        _diff(BN_BORROW, SPEC_BN_BORROW, "parameter recvWindow: type", "string", "integer <int64>"),
    ),
    "binance response field added": Mutation(
        BN_BORROW,
        '"borrowLimit": "60"',
        '"interest": "0.1",\n      "borrowLimit": "60"',
        _diff(BN_BORROW, SPEC_BN_BORROW, "response field interest", "present", "absent"),
    ),
    "okx window changed": Mutation(
        OKX_FLEX,
        "5 requests per 2 seconds",
        "5 requests per second",
        _diff(OKX_FLEX, SPEC_OKX_FLEX, "x-rate-limit.window-ms", "1000", "2000"),
    ),
    "okx rule changed": Mutation(
        OKX_FLEX,
        "Rate limit rule: User ID",
        "Rate limit rule: IP",
        _diff(OKX_FLEX, SPEC_OKX_FLEX, "x-rate-limit.keyed-on", "ip", "account"),
    ),
    "okx rule master account": Mutation(
        OKX_FLEX,
        "Rate limit rule: User ID",
        "Rate limit rule: Master Account User ID",
        _diff(OKX_FLEX, SPEC_OKX_FLEX, "x-rate-limit.keyed-on", "master-account", "account"),
    ),
    "okx method changed": Mutation(
        OKX_FLEX,
        "`POST /api/v5/finance/flexible-loan/max-loan`",
        "`PUT /api/v5/finance/flexible-loan/max-loan`",
        _diff(OKX_FLEX, SPEC_OKX_FLEX, "method", "PUT", "POST"),
    ),
    "okx nested body field required flipped": Mutation(
        OKX_FLEX,
        "> ccy | String | Yes |",
        "> ccy | String | No |",
        _diff(OKX_FLEX, SPEC_OKX_FLEX, "body field supCollateral[].ccy: required", "false", "true"),
    ),
    "okx nested body field renamed": Mutation(
        OKX_FLEX,
        "> amt | String | Yes |",
        "> qty | String | Yes |",
        _diff(
            OKX_FLEX,
            SPEC_OKX_FLEX,
            "body field supCollateral[].amt: name",
            "supCollateral[].qty",
            "supCollateral[].amt",
        ),
    ),
    "okx body array renamed with its children": Mutation(
        OKX_FLEX,
        "supCollateral | Array of objects |",
        "collateral | Array of objects |",
        _diff(OKX_FLEX, SPEC_OKX_FLEX, "body field supCollateral: name", "collateral", "supCollateral"),
    ),
    "okx source url changed": Mutation(
        OKX_LOAN,
        "source_url: https://www.okx.com/docs-v5/en/#trading-account-rest-api-get-the-maximum-loan-of-instrument",
        "source_url: https://www.okx.com/docs-v5/en/#trading-account-rest-api-max-loan",
        _diff(
            OKX_LOAN,
            SPEC_OKX_LOAN,
            "externalDocs.url",
            "https://www.okx.com/docs-v5/en/#trading-account-rest-api-max-loan",
            "https://www.okx.com/docs-v5/en/#trading-account-rest-api-get-the-maximum-loan-of-instrument",
        ),
    ),
    # Issue 14: list sizes, values in descriptions and the other facts the pages state.
    "okx list size lowered": Mutation(
        OKX_LOAN,
        "(no more than 5)",
        "(no more than 10)",
        _diff(OKX_LOAN, SPEC_OKX_LOAN, "parameter instId: x-max-list-items", "10", "5"),
    ),
    "okx list size raised": Mutation(
        OKX_LOAN,
        "(no more than 5)",
        "(no more than 20)",
        _diff(OKX_LOAN, SPEC_OKX_LOAN, "parameter instId: x-max-list-items", "20", "5"),
    ),
    "okx enum in prose changed": Mutation(
        OKX_LOAN,
        "Margin mode  \n`isolated` `cross`  \n",
        "Margin mode, `isolated`, `cross` or `spot_isolated`  \n",
        _diff(
            OKX_LOAN, SPEC_OKX_LOAN, "parameter mgnMode: enum", "[cross, isolated, spot_isolated]", "[cross, isolated]"
        ),
    ),
    "okx response value added": Mutation(
        OKX_LOAN,
        "`buy` `sell`",
        "`buy` `sell` `hold`",
        _diff(OKX_LOAN, SPEC_OKX_LOAN, "response field side: description values", "[buy, hold, sell]", "[buy, sell]"),
    ),
    "okx response values in prose changed": Mutation(
        OKX_LOAN,
        "Order side  \n`buy` `sell`",
        "Order side, `buy` or `hold`",
        _diff(OKX_LOAN, SPEC_OKX_LOAN, "response field side: description values", "[buy, hold]", "[buy, sell]"),
    ),
    "okx conditional became optional": Mutation(
        OKX_LOAN,
        "ccy | String | Conditional |",
        "ccy | String | No |",
        _diff(OKX_LOAN, SPEC_OKX_LOAN, "parameter ccy: conditional", "false", "true"),
    ),
    "okx optional became conditional": Mutation(
        OKX_LOAN,
        "tradeQuoteCcy | String | No |",
        "tradeQuoteCcy | String | Conditional |",
        _diff(OKX_LOAN, SPEC_OKX_LOAN, "parameter tradeQuoteCcy: conditional", "true", "false"),
    ),
    "okx permission became trade": Mutation(
        OKX_FLEX,
        "#### Permission: Read",
        "#### Permission: Trade",
        _diff(OKX_FLEX, SPEC_OKX_FLEX, "x-read-only", "false (Permission: Trade)", "true"),
    ),
    "binance maximum changed": Mutation(
        BN_BORROW,
        "cannot be greater than `60000`",
        "cannot be greater than `30000`",
        _diff(BN_BORROW, SPEC_BN_BORROW, "parameter recvWindow: maximum", "30000", "60000"),
    ),
    "binance minimum stated": Mutation(
        BN_BORROW,
        "cannot be greater than `60000`",
        "cannot be greater than `60000` and cannot be less than `100`",
        _diff(BN_BORROW, SPEC_BN_BORROW, "parameter recvWindow: minimum", "100", "1"),
    ),
    "binance security type changed": Mutation(
        BN_BORROW,
        "# Query Max Borrow (USER_DATA)",
        "# Query Max Borrow (TRADE)",
        _diff(BN_BORROW, SPEC_BN_BORROW, "x-signing.security-type", "TRADE", "USER_DATA"),
    ),
    "backpack window maximum changed": Mutation(
        BP_WITHDRAW,
        "maximum 60000",
        "maximum 120000",
        _diff(BP_WITHDRAW, SPEC_BP_WITHDRAW, f"{X_WINDOW}: maximum", "120000", "60000"),
    ),
    "backpack window default changed": Mutation(
        BP_BORROW,
        "(default 5000,",
        "(default 10000,",
        _diff(BP_BORROW, SPEC_BP_BORROW, f"{X_WINDOW}: default", "10000", "5000"),
    ),
    "backpack authentication dropped": Mutation(
        BP_BORROW,
        "Required (Private Endpoint)",
        "None",
        _diff(BP_BORROW, SPEC_BP_BORROW, "security", "none", "required"),
    ),
    "backpack error field renamed": Mutation(
        BP_BORROW,
        "| message   | required | string |",
        "| msg       | required | string |",
        _diff(BP_BORROW, SPEC_BP_BORROW, "response 500 field message: name", "msg", "message"),
    ),
    "backpack error field required flipped": Mutation(
        BP_WITHDRAW,
        "| code      | required | string |",
        "| code      | optional | string |",
        _diff(BP_WITHDRAW, SPEC_BP_WITHDRAW, "response 500 field code: required", "false", "true"),
    ),
    "backpack media type changed": Mutation(
        BP_BORROW,
        "##### Response Schema: application/json; charset=utf-8",
        "##### Response Schema: application/json",
        _diff(
            BP_BORROW,
            SPEC_BP_BORROW,
            "response 200 media type",
            "[application/json]",
            "[application/json; charset=utf-8]",
        ),
    ),
}


@pytest.mark.parametrize("mutation", MUTATIONS.values(), ids=MUTATIONS.keys())
def test_each_mutation_is_reported_exactly_once(docs: Path, mutation: Mutation) -> None:
    edit(docs, mutation.page, mutation.old, mutation.new)
    report = check(docs, SPECS)
    assert report.differences == [mutation.expected]
    assert report.unreadable == []
    assert not report.ok


def test_a_sapi_weight_keyed_on_ip_is_an_own_12000_budget_not_the_uid_180000(docs: Path) -> None:
    # Binance's general info: each /sapi/* endpoint has its own budget, 12,000 a minute per IP or 180,000 per UID.
    edit(docs, BN_BORROW, "**750(UID)**", "**750(IP)**")
    assert check(docs, SPECS).differences == [
        _diff(BN_BORROW, SPEC_BN_BORROW, "x-rate-limit.limit", "12000", "180000"),
        _diff(BN_BORROW, SPEC_BN_BORROW, "x-rate-limit.keyed-on", "ip", "account"),
    ]


def test_a_pool_is_read_from_the_base_file_with_the_endpoints_weight() -> None:
    operations, _ = load_specs(SPECS)
    time = next(op for op in operations if (op.exchange, op.path) == ("binance", "/api/v3/time"))
    assert (time.pool, time.rate_limit, time.window_ms, time.keyed_on, time.weight) == (
        "api-ip-weight",
        6000,
        60000,
        "ip",
        1,
    )


def test_a_page_of_an_endpoint_we_do_not_spec_is_skipped_quietly_and_counted(docs: Path) -> None:
    anchor = "financial-product-flexible-loan-post-maximum-loan-amount"
    text = (docs / OKX_FLEX).read_text(encoding="utf-8")
    text = text.replace(anchor, "financial-product-flexible-loan-post-repay", 1)
    text = text.replace(
        "`POST /api/v5/finance/flexible-loan/max-loan`", "`POST /api/v5/finance/flexible-loan/repay`", 1
    )
    (docs / "okx-flexible-loan-repay.md").write_text(text, encoding="utf-8")
    report = check(docs, SPECS)
    assert report.ok and report.differences == []
    assert (report.pages, report.compared, report.skipped) == (len(PAGES) + 1, len(PAGES), 1)
    assert not any("repay" in line for line in report.lines()[:-1])
    assert f": {len(PAGES)} of our operations compared, 1 of other endpoints" in report.lines()[-1]


def test_page_matched_by_method_and_path_without_source_url(docs: Path) -> None:
    edit(
        docs,
        BN_BORROW,
        "source_url: https://developers.binance.com/docs/",
        "origin: https://developers.binance.com/docs/",
    )
    assert check(docs, SPECS).ok


def test_chinese_half_is_not_read(docs: Path) -> None:
    text = (docs / BN_BORROW).read_text(encoding="utf-8")
    english, chinese = text.split("# 查询账户最大可借贷额度", 1)
    chinese = chinese.replace("**750(UID)**", "**999(IP)**").replace("asset| STRING| YES|", "coin| LONG| NO|")
    (docs / BN_BORROW).write_text(english + "# 查询账户最大可借贷额度" + chinese, encoding="utf-8")
    assert check(docs, SPECS).ok


def test_english_part_stops_before_the_chinese_half(docs: Path) -> None:
    _, body = split_front_matter((docs / BN_BORROW).read_text(encoding="utf-8"))
    english = english_part(body)
    assert english.rstrip().endswith("}")
    assert "查询" not in english
    assert english_part("# Title\n\ntext\n") == "# Title\n\ntext\n"


def test_english_lines_in_the_chinese_half_are_ignored(docs: Path) -> None:
    edit(docs, OKX_FLEX, "#### Rate Limit: 5 requests per 2 seconds  \n", "")
    edit(docs, OKX_FLEX, "#### 限速：5次/2s", "#### Rate Limit: 99 requests per second")
    assert check(docs, SPECS).ok


# Page edits that say the same thing differently, or state what the spec has no place for: no difference.
AGREEING_EDITS = {
    "list size in other words": (OKX_LOAN, "(no more than 5)", "(up to 5)"),
    "enum as prose after a comma": (
        OKX_LOAN,
        "Margin mode  \n`isolated` `cross`",
        "Margin mode, `isolated` or `cross`",
    ),
    "enum in closing parentheses": (OKX_LOAN, "Margin mode  \n`isolated` `cross`", "Margin mode (`cross`, `isolated`)"),
    "enum slash-separated": (OKX_LOAN, "Margin mode  \n`isolated` `cross`", "Margin mode: `isolated`/`cross`"),
    # The spec has no enum for ccy, and prose is compared only against a list.
    "prose values without a spec enum": (
        OKX_LOAN,
        "ccy | String | Conditional | Currency",
        "ccy | String | Conditional | Currency, `BTC` or `ETH`",
    ),
    # The spec's ccy response description names no values, and the page names them only in prose.
    "prose response values without spec values": (
        OKX_LOAN,
        "ccy | String | Currency",
        "ccy | String | Currency, `BTC` or `USDT`",
    ),
    "response values reordered": (OKX_LOAN, "`buy` `sell`", "`sell` `buy`"),
    # Parameters cannot carry a default (the bundler refuses it), so one stated in prose is not compared.
    "default of a schema parameter": (
        BN_BORROW,
        "cannot be greater than `60000`",
        "cannot be greater than `60000`; default `5000`",
    ),
    # Decimal-string amounts cannot carry minimum or maximum.
    "bound on a string amount": (
        OKX_FLEX,
        "> amt | String | Yes | Amount",
        "> amt | String | Yes | Amount, maximum 100",
    ),
    "bound followed by a unit": (BN_BORROW, "cannot be greater than `60000`", "cannot be greater than 30000 ms"),
    "default stated twice alike": (BP_BORROW, "(default 5000,", "(default 5000, default: 5000,"),
}


@pytest.mark.parametrize(("page", "old", "new"), AGREEING_EDITS.values(), ids=AGREEING_EDITS.keys())
def test_edits_that_agree_with_the_spec_are_not_differences(docs: Path, page: str, old: str, new: str) -> None:
    edit(docs, page, old, new)
    report = check(docs, SPECS)
    assert report.differences == []


def test_unreadable_pages_are_reported_and_do_not_stop_the_run(docs: Path) -> None:
    (docs / "empty.md").write_text("", encoding="utf-8")
    (docs / "blank.md").write_text("  \n\n", encoding="utf-8")
    (docs / "garbage.md").write_text("lorem | ipsum\n---|---\n}{ ]] not a page at all\n", encoding="utf-8")
    (docs / "binary.md").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\xff\xfe")
    (docs / "okx-headless.md").write_text(
        "---\nexchange: okx\n---\n\n# Something\n\nno request line\n", encoding="utf-8"
    )
    edit(docs, OKX_LOAN, "instId | String | Conditional |", "instId | String | Yes |")
    report = check(docs, SPECS)
    assert sorted(u.file for u in report.unreadable) == ["binary.md", "blank.md", "empty.md", "garbage.md"]
    reasons = {u.file: u.reason for u in report.unreadable}
    assert reasons["empty.md"] == reasons["blank.md"] == "empty file"
    assert reasons["binary.md"] == "not UTF-8 text"
    assert "no known page layout" in reasons["garbage.md"]
    # An OKX page without a request line documents no endpoint (a general page): skipped and counted.
    assert report.without_endpoint == 1
    # The real pages after them were still compared.
    assert report.differences == [_diff(OKX_LOAN, SPEC_OKX_LOAN, "parameter instId: required", "true", "false")]
    assert report.pages == len(PAGES) + 5
    assert all(str(u).startswith(f"{u.file}: unreadable: ") for u in report.unreadable)


def test_unreadable_pages_alone_fail_the_run(docs: Path) -> None:
    (docs / "garbage.md").write_text("\x1b[31mnot markdown\n", encoding="utf-8")
    report = check(docs, SPECS)
    assert report.differences == []
    assert not report.ok


@pytest.fixture
def specs(tmp_path: Path) -> Path:
    """A private copy of specs/, free to mutate."""
    folder = tmp_path / "specs"
    shutil.copytree(SPECS, folder, ignore=shutil.ignore_patterns("openapi.yaml"))
    return folder


def test_a_wrong_spec_is_named(docs: Path, specs: Path) -> None:
    spec_file = specs / "okx" / "endpoints" / "account.get_max_loan.yaml"
    text = spec_file.read_text(encoding="utf-8")
    assert "enum: [isolated, cross]" in text
    spec_file.write_text(text.replace("enum: [isolated, cross]", "enum: [isolated, cross, spot]"), encoding="utf-8")
    report = check(docs, specs)
    assert report.differences == [
        _diff(OKX_LOAN, SPEC_OKX_LOAN, "parameter mgnMode: enum", "[cross, isolated]", "[cross, isolated, spot]")
    ]


def edit_spec(specs: Path, label: str, old: str, new: str) -> None:
    """Replace the first ``old`` in the copied spec file ``label`` (``specs/<exchange>/endpoints/...``)."""
    path = specs.parent / label
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{label} no longer contains {old!r}; update this test"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@dataclass(frozen=True)
class SpecMutation:
    """One edit of one spec endpoint file and the single difference the unchanged pages must then show."""

    spec: str
    old: str
    new: str
    expected: Difference


SPEC_MUTATIONS = {
    "list size raised": SpecMutation(
        SPEC_OKX_LOAN,
        "x-max-list-items: 5",
        "x-max-list-items: 20",
        _diff(OKX_LOAN, SPEC_OKX_LOAN, "parameter instId: x-max-list-items", "5", "20"),
    ),
    "list size removed": SpecMutation(
        SPEC_OKX_LOAN,
        "            x-max-list-items: 5\n",
        "",
        _diff(OKX_LOAN, SPEC_OKX_LOAN, "parameter instId: x-max-list-items", "5", "none"),
    ),
    "response description value added": SpecMutation(
        SPEC_OKX_LOAN,
        "Order side (`buy`, `sell`)",
        "Order side (`buy`, `sell`, `hold`)",
        _diff(OKX_LOAN, SPEC_OKX_LOAN, "response field side: description values", "[buy, sell]", "[buy, hold, sell]"),
    ),
    "response description values dropped": SpecMutation(
        SPEC_OKX_LOAN,
        "Order side (`buy`, `sell`);",
        "Order side;",
        _diff(OKX_LOAN, SPEC_OKX_LOAN, "response field side: description values", "[buy, sell]", "none"),
    ),
    "conditional dropped from a description": SpecMutation(
        SPEC_OKX_LOAN,
        "description: Conditional. Margin currency;",
        "description: Margin currency;",
        _diff(OKX_LOAN, SPEC_OKX_LOAN, "parameter mgnCcy: conditional", "true", "false"),
    ),
    "read-only turned off": SpecMutation(
        SPEC_OKX_LOAN,
        "x-read-only: true",
        "x-read-only: false",
        _diff(OKX_LOAN, SPEC_OKX_LOAN, "x-read-only", "true (Permission: Read)", "false"),
    ),
    "maximum changed": SpecMutation(
        SPEC_BN_BORROW,
        "maximum: 60000",
        "maximum: 30000",
        _diff(BN_BORROW, SPEC_BN_BORROW, "parameter recvWindow: maximum", "60000", "30000"),
    ),
    "security type changed": SpecMutation(
        SPEC_BN_BORROW,
        "security-type: USER_DATA",
        "security-type: MARGIN",
        _diff(BN_BORROW, SPEC_BN_BORROW, "x-signing.security-type", "USER_DATA", "MARGIN"),
    ),
    "auth parameter default changed": SpecMutation(
        SPEC_BP_BORROW,
        "default: 5000, maximum: 60000}",
        "default: 6000, maximum: 60000}",
        _diff(BP_BORROW, SPEC_BP_BORROW, f"{X_WINDOW}: default", "5000", "6000"),
    ),
    "auth parameter maximum removed": SpecMutation(
        SPEC_BP_WITHDRAW,
        "default: 5000, maximum: 60000}",
        "default: 5000}",
        _diff(BP_WITHDRAW, SPEC_BP_WITHDRAW, f"{X_WINDOW}: maximum", "60000", "none"),
    ),
    "security removed": SpecMutation(
        SPEC_BP_WITHDRAW,
        "      security:\n        - signature: []\n",
        "",
        _diff(BP_WITHDRAW, SPEC_BP_WITHDRAW, "security", "required", "none"),
    ),
    "error field made optional": SpecMutation(
        SPEC_BP_BORROW,
        "required: [code, message]",
        "required: [code]",
        _diff(BP_BORROW, SPEC_BP_BORROW, "response 500 field message: required", "true", "false"),
    ),
    "media type changed": SpecMutation(
        SPEC_BP_BORROW,
        "            application/json; charset=utf-8:\n              schema:\n"
        '                $ref: "#/components/schemas/MaxBorrowQuantity"',
        "            application/json:\n              schema:\n"
        '                $ref: "#/components/schemas/MaxBorrowQuantity"',
        _diff(
            BP_BORROW,
            SPEC_BP_BORROW,
            "response 200 media type",
            "[application/json; charset=utf-8]",
            "[application/json]",
        ),
    ),
}


@pytest.mark.parametrize("mutation", SPEC_MUTATIONS.values(), ids=SPEC_MUTATIONS.keys())
def test_each_spec_mutation_is_reported_exactly_once(docs: Path, specs: Path, mutation: SpecMutation) -> None:
    edit_spec(specs, mutation.spec, mutation.old, mutation.new)
    report = check(docs, specs)
    assert report.differences == [mutation.expected]
    assert report.unreadable == []


def test_a_spec_enum_is_compared_with_values_a_page_names_in_prose(docs: Path, specs: Path) -> None:
    edit(docs, OKX_LOAN, "Margin mode  \n`isolated` `cross`", "Margin mode, `isolated` or `cross`")
    assert check(docs, specs).ok
    edit_spec(specs, SPEC_OKX_LOAN, "enum: [isolated, cross]", "enum: [isolated, cross, spot]")
    assert check(docs, specs).differences == [
        _diff(OKX_LOAN, SPEC_OKX_LOAN, "parameter mgnMode: enum", "[cross, isolated]", "[cross, isolated, spot]")
    ]


def test_statuses_with_x_documented_on_are_not_compared(docs: Path, specs: Path) -> None:
    spec_file = specs / "backpack" / "endpoints" / "account.get_max_borrow_quantity.yaml"
    text = spec_file.read_text(encoding="utf-8")
    old = '        "503":\n          description: Service unavailable.\n'
    assert old in text
    spec_file.write_text(
        text.replace(old, old + "          x-documented-on: https://docs.backpack.exchange/\n"), encoding="utf-8"
    )
    report = check(docs, specs)
    assert report.differences == [_diff(BP_BORROW, SPEC_BP_BORROW, "response status 503", "present", "absent")]


def test_unreadable_spec_file_is_reported(docs: Path, specs: Path) -> None:
    (specs / "okx" / "endpoints" / "broken.yaml").write_text("paths: [\n", encoding="utf-8")
    report = check(docs, specs)
    assert report.differences == []
    assert [u.file for u in report.unreadable] == ["specs/okx/endpoints/broken.yaml"]


def test_cli_exit_status_and_output(docs: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(docs)]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[-1].startswith(f"check-docs: {len(PAGES)} page(s): {len(PAGES)} of our operations compared")
    assert out.splitlines()[-1].endswith("; 0 difference(s), 0 unreadable, 0 change-log entries naming our paths")
    edit(docs, OKX_LOAN, "instId | String | Conditional |", "instId | String | Yes |")
    assert main([str(docs)]) == 1
    out = capsys.readouterr().out
    assert (
        "okx-get-maximum-loan-of-instrument.md -> specs/okx/endpoints/account.get_max_loan.yaml: "
        "parameter instId: required: page=true spec=false"
    ) in out.splitlines()


def test_cli_usage_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(tmp_path / "missing")]) == 2
    assert main([str(tmp_path)]) == 2
    assert "no *.md pages" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("STRING", FieldType("string")),
        ("LONG", FieldType("integer", None, "int64")),
        ("INT", FieldType("integer")),
        ("DECIMAL", FieldType("string", None, "decimal")),
        ("string <decimal>", FieldType("string", None, "decimal")),
        ("integer <uint64>", FieldType("integer", None, "uint64")),
        ("Array of objects", FieldType("array", "object")),
        ("Array of strings", FieldType("array", "string")),
        ("Boolean", FieldType("boolean")),
        ("Strnig", FieldType("strnig")),
        ("", None),
    ],
)
def test_page_types(raw: str, expected: FieldType | None) -> None:
    assert parse_type(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("YES", True), ("Yes", True), ("required", True), ("NO", False), ("optional", False), ("Conditional", False)],
)
def test_page_required_flags(raw: str, expected: bool) -> None:
    assert parse_required(raw) is expected


def test_enum_values_come_only_from_value_lists() -> None:
    assert enum_values(["Margin mode", "`isolated` `cross`"]) == frozenset({"isolated", "cross"})
    assert enum_values(["Order side", "`buy`: buy", "`sell`: sell"]) == frozenset({"buy", "sell"})
    assert enum_values(['Enum: "a" "b"']) == frozenset({"a", "b"})
    assert enum_values(["Applicable to `isolated` `MARGIN` and `cross` `MARGIN` in `Futures mode`."]) is None
    assert enum_values(["The value cannot be greater than `60000`"]) is None


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        (["Margin mode, `isolated` or `cross`"], {"isolated", "cross"}),
        (["Margin mode: `isolated`, `cross` or `spot_isolated`."], {"isolated", "cross", "spot_isolated"}),
        (["`buy`/`sell`"], {"buy", "sell"}),
        (["Order side (`buy`, `sell`); a plain string because OKX may add values."], {"buy", "sell"}),
        (["Margin mode", "`isolated` `cross`"], {"isolated", "cross"}),
        # Prose that mentions code spans, as on the current pages, names no values.
        (["Applicable to `isolated` `MARGIN` and `cross` `MARGIN` in `Futures mode`."], None),
        (["The default value is the quote currency of `instId`, e.g. `USD` for `BTC-USD`."], None),
        (["Currency to borrow, e.g. `USDT`"], None),
        (["Currency to borrow, e.g. `USDT`, `BTC`"], None),
        (["Remaining quota, unit in `borrowCcy`"], None),
        (["The value cannot be greater than `60000`"], None),
        (["Instrument type, `SPOT`"], None),
        # Two sentences naming different lists: ambiguous, so neither is read.
        (["Side, `buy` or `sell`. Mode, `cross` or `isolated`"], None),
    ],
)
def test_values_named_in_prose(lines: list[str], expected: set[str] | None) -> None:
    assert described_values(lines) == (frozenset(expected) if expected is not None else None)


def test_list_limits_come_only_from_comma_lists() -> None:
    instid = "Single instrument or multiple instruments (no more than 5) separated with comma, e.g. `BTC-USDT,ETH-USDT`"
    assert list_limit([instid]) == 5
    assert list_limit(["Up to 20 currencies, comma-separated"]) == 20
    assert list_limit(["Number of results, no more than 100"]) is None
    assert list_limit(["Comma-separated ids, no more than 5 or no more than 10"]) is None


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        (["The value cannot be greater than `60000`"], (None, Decimal(60000))),
        (["Time the request is valid for in milliseconds (default 5000, maximum 60000)"], (None, Decimal(60000))),
        (["Number of results per request. The maximum is 100; The default is 100"], (None, Decimal(100))),
        (["Default 500; max 1000 and min 1"], (Decimal(1), Decimal(1000))),
        (["cannot be less than `100`"], (Decimal(100), None)),
        (["Maximum available loan"], (None, None)),
        (["maximum 20 orders"], (None, None)),
        (["no more than 30000 ms"], (None, None)),
        (["max 10 for spot, max 20 for futures"], (None, None)),
        (["multiple instruments (no more than 5) separated with comma"], (None, None)),
    ],
)
def test_bounds(lines: list[str], expected: tuple[Decimal | None, Decimal | None]) -> None:
    assert bounds(lines) == expected


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        (["Time the request is valid for in milliseconds (default 5000, maximum 60000)"], "5000"),
        (["Default `FALSE`"], "FALSE"),
        (['defaults to "GTC"'], "GTC"),
        (["Default: 1,000"], "1000"),
        (["The default value is the quote currency of `instId`, e.g. `USD` for `BTC-USD`."], None),
        (["default 10 for spot; default 20 for futures"], None),
    ],
)
def test_defaults(lines: list[str], expected: str | None) -> None:
    assert default_value(lines) == expected


@pytest.mark.parametrize(
    ("raw", "expected"), [("Conditional", True), ("No", False), ("Yes", False), ("required", False), ("", None)]
)
def test_page_conditional_flags(raw: str, expected: bool | None) -> None:
    assert parse_conditional(raw) is expected


@pytest.mark.parametrize(
    ("permission", "expected"),
    [("Read", True), ("Trade", False), ("Withdraw", False), ("Read/Trade", False), ("?", None)],
)
def test_what_an_okx_permission_implies(permission: str, expected: bool | None) -> None:
    assert read_only_permission(permission) is expected


def test_report_lines_end_with_a_summary() -> None:
    report = Report(pages=1, differences=[_diff("a.md", "specs/x.yaml", "path", "/a", "/b")])
    assert report.lines() == [
        "a.md -> specs/x.yaml: path: page=/a spec=/b",
        "check-docs: 1 page(s): 0 of our operations compared, 0 of other endpoints and 0 documenting none skipped;"
        " 1 difference(s), 0 unreadable, 0 change-log entries naming our paths",
    ]
