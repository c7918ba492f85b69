"""scripts/docs_check/check.py: the shared doc pages agree with our specs, and each kind of drift is reported once.

Mutations are made on copies of the doc pages (or of specs/) inside tmp_path. The pages are
../shared/exchange-docs when that folder exists, else the snapshot of them the specs were written from,
tests/fixtures/exchange-docs; a test keeps the snapshot equal to the shared pages whenever both are present.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from scripts.docs_check._model import FieldType
from scripts.docs_check._pages import english_part, enum_values, parse_required, parse_type, split_front_matter
from scripts.docs_check.check import Difference, Report, check, main

SHARED_DOCS = Path(__file__).resolve().parents[2] / "shared" / "exchange-docs"
SNAPSHOT_DOCS = Path(__file__).resolve().parent / "fixtures" / "exchange-docs"
SPECS = Path(__file__).resolve().parents[1] / "specs"

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
SERVER_TIME_SPECS = (
    "specs/backpack/endpoints/system.get_server_time.yaml",
    "specs/binance/endpoints/general.get_server_time.yaml",
    "specs/okx/endpoints/public_data.get_server_time.yaml",
)


@pytest.fixture
def docs(tmp_path: Path) -> Path:
    """A private copy of the doc pages (shared ones when present, else the snapshot), free to mutate."""
    folder = tmp_path / "exchange-docs"
    shutil.copytree(SHARED_DOCS if SHARED_DOCS.is_dir() else SNAPSHOT_DOCS, folder)
    return folder


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
    assert report.pages == 5
    assert report.ok


def test_spec_operations_without_a_page_are_notes_not_differences(docs: Path) -> None:
    report = check(docs, SPECS)
    for spec_file in SERVER_TIME_SPECS:
        assert any(note.startswith(spec_file) for note in report.notes), spec_file
    assert len(report.notes) == len(SERVER_TIME_SPECS)


def test_notes_only_for_exchanges_with_pages(docs: Path) -> None:
    for page in (BP_BORROW, BP_WITHDRAW, BN_BORROW):
        (docs / page).unlink()
    report = check(docs, SPECS)
    assert report.ok
    assert [note.split(":")[0] for note in report.notes] == ["specs/okx/endpoints/public_data.get_server_time.yaml"]


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
        "**50(IP)**",
        "**100(IP)**",
        _diff(BN_BORROW, SPEC_BN_BORROW, "x-rate-limit.weight", "100", "50"),
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
    "binance weight keyed on uid": Mutation(
        BN_BORROW,
        "**50(IP)**",
        "**50(UID)**",
        _diff(BN_BORROW, SPEC_BN_BORROW, "x-rate-limit.keyed-on", "user", "ip"),
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
        _diff(OKX_FLEX, SPEC_OKX_FLEX, "x-rate-limit.keyed-on", "ip", "user"),
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
}


@pytest.mark.parametrize("mutation", MUTATIONS.values(), ids=MUTATIONS.keys())
def test_each_mutation_is_reported_exactly_once(docs: Path, mutation: Mutation) -> None:
    edit(docs, mutation.page, mutation.old, mutation.new)
    report = check(docs, SPECS)
    assert report.differences == [mutation.expected]
    assert report.unreadable == []
    assert not report.ok


def test_new_page_for_an_unknown_endpoint_is_reported(docs: Path) -> None:
    anchor = "financial-product-flexible-loan-post-maximum-loan-amount"
    text = (docs / OKX_FLEX).read_text(encoding="utf-8")
    text = text.replace(anchor, "financial-product-flexible-loan-post-repay", 1)
    text = text.replace(
        "`POST /api/v5/finance/flexible-loan/max-loan`", "`POST /api/v5/finance/flexible-loan/repay`", 1
    )
    (docs / "okx-flexible-loan-repay.md").write_text(text, encoding="utf-8")
    report = check(docs, SPECS)
    assert report.differences == [
        Difference(
            "okx-flexible-loan-repay.md",
            "specs/okx/endpoints/",
            "no spec operation has this page's source URL or method and path",
            "POST /api/v5/finance/flexible-loan/repay "
            "(https://www.okx.com/docs-v5/en/#financial-product-flexible-loan-post-repay)",
            "none",
        )
    ]
    assert report.pages == 6


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
    chinese = chinese.replace("**50(IP)**", "**999(UID)**").replace("asset| STRING| YES|", "coin| LONG| NO|")
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


def test_response_values_listed_on_the_page_are_not_compared(docs: Path) -> None:
    # The page lists `buy` `sell` for side; adding a value must not make the plain-string spec field drift.
    edit(docs, OKX_LOAN, "`buy` `sell`", "`buy` `sell` `hold`")
    assert check(docs, SPECS).ok


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
    assert sorted(u.file for u in report.unreadable) == [
        "binary.md",
        "blank.md",
        "empty.md",
        "garbage.md",
        "okx-headless.md",
    ]
    reasons = {u.file: u.reason for u in report.unreadable}
    assert reasons["empty.md"] == reasons["blank.md"] == "empty file"
    assert reasons["binary.md"] == "not UTF-8 text"
    assert "no known page layout" in reasons["garbage.md"]
    assert "HTTP request line" in reasons["okx-headless.md"]
    # The real pages after them were still compared.
    assert report.differences == [_diff(OKX_LOAN, SPEC_OKX_LOAN, "parameter instId: required", "true", "false")]
    assert report.pages == 10
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
    assert out.splitlines()[-1] == "check-docs: 5 page(s), 0 difference(s), 0 unreadable"
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


def test_report_lines_end_with_a_summary() -> None:
    report = Report(pages=1, differences=[_diff("a.md", "specs/x.yaml", "path", "/a", "/b")])
    assert report.lines() == [
        "a.md -> specs/x.yaml: path: page=/a spec=/b",
        "check-docs: 1 page(s), 1 difference(s), 0 unreadable",
    ]
