"""make new-endpoint, make update-specs and check-docs over a scraped tree, on real pages (a snapshot of
../shared/doc-samples in tests/fixtures/doc-samples, so these never skip) and on a synthetic tree.

Everything runs on copies of specs/ in tmp_path; the end-to-end runs through ``make generate`` and the contract
suites are in test_doc_tools_end_to_end.py.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Final

import pytest
import yaml

from scripts.docs_check._draft import DraftError, draft
from scripts.docs_check._pages import NoEndpoint, read_page
from scripts.docs_check._specs import load_specs
from scripts.docs_check._update import update
from scripts.docs_check.check import check, compare
from tests._specs import REPO

SAMPLES: Final = REPO / "tests" / "fixtures" / "doc-samples"
EXCHANGE_DOCS: Final = REPO / "tests" / "fixtures" / "exchange-docs"
SHARED: Final = Path(os.environ.get("EXCHANGE_CLIENTS_SHARED", REPO.parent / "shared"))
# Pages found in one month only are single pages to draft; pages in both are January/June pairs.
JANUARY: Final = sorted(p.name for p in (SAMPLES / "2026-01").glob("*.md"))
JUNE: Final = sorted(p.name for p in (SAMPLES / "2026-06").glob("*.md"))
PAIRS: Final = sorted(set(JANUARY) & set(JUNE))
SINGLES: Final = sorted(
    [f"2026-01/{name}" for name in JANUARY if name not in PAIRS]
    + [f"2026-06/{name}" for name in JUNE if name not in PAIRS]
)
CHANGE_LOG: Final = SAMPLES / "general" / "binance-margin-change-log.md"


@pytest.fixture
def specs(tmp_path: Path) -> Path:
    """A private copy of specs/, free to mutate (its parent stands in for the repository)."""
    folder = tmp_path / "repo" / "specs"
    shutil.copytree(REPO / "specs", folder, ignore=shutil.ignore_patterns("openapi.yaml"))
    return folder


def _run(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "scripts.docs_check", *args], cwd=cwd, capture_output=True, text=True, timeout=120
    )


def test_the_snapshot_equals_the_shared_samples() -> None:
    shared = SHARED / "doc-samples"
    if not shared.is_dir():
        pytest.skip(f"no shared doc samples at {shared} (set EXCHANGE_CLIENTS_SHARED); the snapshot stands in")
    for page in SAMPLES.rglob("*.md"):
        assert page.read_bytes() == (shared / page.relative_to(SAMPLES)).read_bytes(), page


def test_the_samples_are_what_the_issue_names() -> None:
    assert len(SINGLES) == 8 and PAIRS == [
        "okx-flexible-loan-get-accrued-interest.md",
        "okx-flexible-loan-get-loan-history.md",
    ]


# --- new-endpoint ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", [*SINGLES, *(f"2026-01/{p}" for p in PAIRS)])
def test_a_draft_agrees_with_its_page_as_check_docs_reads_it(specs: Path, name: str) -> None:
    page = read_page(SAMPLES / name, SAMPLES)
    result = draft(page, specs)
    assert result.remaining == []
    result.target.write_text(result.text, encoding="utf-8")
    # Read back by the checker's own spec reader, among all the other endpoint files: zero differences.
    operations, problems = load_specs(specs)
    assert problems == []
    drafted = [op for op in operations if op.path == page.path and op.exchange == page.exchange]
    assert len(drafted) == 1 and list(compare(page, drafted[0])) == []
    doc = yaml.safe_load(result.text)
    operation = doc["paths"][page.path][page.method.lower()]  # type: ignore[union-attr]
    assert operation["externalDocs"]["url"] == page.source_url
    assert {"401", "429"} <= set(operation["responses"])  # every sample is a signed endpoint
    shown = page.response_example
    if page.exchange == "okx" and isinstance(shown, dict) and "msg" not in shown:
        shown = {**shown, "msg": ""}  # an OKX example without "msg" gets the envelope's empty one
    assert operation["responses"]["200"]["content"]["application/json"]["example"] == shown


def test_amounts_become_decimal_and_empty_strings_decimal_or_empty(specs: Path) -> None:
    page = read_page(SAMPLES / "2026-06/okx-rest-api-get-maximum-withdrawals.md", SAMPLES)
    result = draft(page, specs)
    item = yaml.safe_load(result.text)["components"]["schemas"]["GetMaximumWithdrawalsItem"]["properties"]
    assert {name: item[name].get("format") for name in item} == {
        "ccy": None,
        "maxWd": "decimal",
        "maxWdEx": "decimal",
        "spotOffsetMaxWd": "decimal-or-empty",
        "spotOffsetMaxWdEx": "decimal-or-empty",
    }
    # Each guess names the file and the field: a whole-number example is not proof of a decimal.
    where = "specs/okx/endpoints/account.get_maximum_withdrawals.yaml"
    assert (
        f"{where}: response field maxWd: format: decimal (the example shows a whole number; the name says amount)"
        in (result.guesses)
    )
    assert all(guess.startswith(f"{where}: ") for guess in result.guesses)


def test_a_decimal_string_with_a_fraction_is_a_decimal_whatever_its_name(specs: Path) -> None:
    page = read_page(SAMPLES / "2026-01/binance-Query-Cross-Margin-Account-Details.md", SAMPLES)
    result = draft(page, specs)
    item = yaml.safe_load(result.text)["components"]["schemas"]["QueryCrossMarginAccountDetailsResponse"]
    assert item["properties"]["marginLevel"] == {"type": "string", "format": "decimal"}  # "11.64405625"
    assert item["properties"]["accountType"] == {"type": "string"}  # "MARGIN_1"
    assert item["properties"]["userAssets"]["items"]["properties"]["borrowed"]["format"] == "decimal"
    assert not any("marginLevel" in guess for guess in result.guesses)


def test_a_page_stating_two_weights_is_drafted_with_the_larger_one_as_a_guess(specs: Path) -> None:
    page = read_page(SAMPLES / "2026-01/binance-Query-Cross-Margin-Fee-Data.md", SAMPLES)
    assert (page.weight, page.weights, page.keyed_on) == (None, (1, 5), "ip")
    result = draft(page, specs)
    limit = yaml.safe_load(result.text)["paths"]["/sapi/v1/margin/crossMarginData"]["get"]["x-rate-limit"]
    assert limit == {
        "limit": 12000,
        "window-ms": 60000,
        "keyed-on": "ip",
        "weight": 5,
        "used-weight-header": "X-SAPI-USED-IP-WEIGHT-1M",
    }
    assert any("x-rate-limit.weight 5 (the page states (1, 5))" in guess for guess in result.guesses)


def test_a_backpack_page_is_drafted_in_its_own_shape(specs: Path, tmp_path: Path) -> None:
    # The shipped Backpack operation, its file removed: the draft must agree with the page on everything.
    (specs / "backpack/endpoints/account.get_max_borrow_quantity.yaml").unlink()
    saved = EXCHANGE_DOCS / "backpack-get-max-borrow-quantity.md"
    with pytest.raises(DraftError, match="the page gives no method and path to draft from"):
        draft(read_page(saved, EXCHANGE_DOCS), specs)  # the saved export names the method only
    text = saved.read_text(encoding="utf-8").replace(
        "## Authentication", "`get /api/v1/account/limits/borrow`\n\n## Authentication", 1
    )
    (tmp_path / "page.md").write_text(text, encoding="utf-8")
    result = draft(read_page(tmp_path / "page.md", tmp_path), specs)
    assert result.remaining == []
    doc = yaml.safe_load(result.text)
    operation = doc["paths"]["/api/v1/account/limits/borrow"]["get"]
    assert operation["x-rate-limit"] == {"documented": False}
    assert operation["x-signing"]["instruction"] == "maxBorrowQuantity"
    assert [p["name"] for p in operation["x-signing"]["auth-parameters"]] == [
        "X-API-KEY",
        "X-SIGNATURE",
        "X-TIMESTAMP",
        "X-WINDOW",
    ]
    assert sorted(operation["responses"]) == ["200", "400", "401", "429", "500", "503"]


def test_new_endpoint_refuses_what_it_cannot_draft(specs: Path, tmp_path: Path) -> None:
    general = _run("new-endpoint", str(SAMPLES / "general/binance-general-info.md"), "--specs", str(specs))
    assert general.returncode == 2 and general.stdout == ""
    assert general.stderr.splitlines() == [
        f"new-endpoint: {SAMPLES / 'general/binance-general-info.md'}: documents no endpoint"
        " (Binance page without an HTTP request line (GET `/path`))"
    ]
    existing = _run("new-endpoint", str(EXCHANGE_DOCS / "okx-get-maximum-loan-of-instrument.md"), "--specs", str(specs))
    assert existing.returncode == 2
    assert existing.stderr.strip().endswith(
        "GET /api/v5/account/max-loan already has an endpoint file: specs/okx/endpoints/account.get_max_loan.yaml"
    )
    foreign = tmp_path / "bybit.md"
    text = (SAMPLES / "2026-06/okx-rest-api-get-interest-rate.md").read_text(encoding="utf-8")
    foreign.write_text(
        text.replace("exchange: okx", "exchange: bybit").replace(
            "https://www.okx.com/", "https://bybit-exchange.github.io/"
        ),
        encoding="utf-8",
    )
    refused = _run("new-endpoint", str(foreign), "--specs", str(specs))
    assert refused.returncode == 2
    assert "bybit is not an exchange we sign for (backpack, binance, okx)" in refused.stderr
    assert sorted(p.name for p in specs.rglob("*.yaml")) == sorted(p.name for p in (REPO / "specs").rglob("*.yaml"))


def test_new_endpoint_writes_the_file_and_lists_the_guesses(specs: Path) -> None:
    result = _run(
        "new-endpoint", str(SAMPLES / "2026-01/binance-Query-Cross-Margin-Fee-Data.md"), "--specs", str(specs)
    )
    assert result.returncode == 0, result.stderr
    target = "specs/binance/endpoints/margin.query_cross_margin_fee_data.yaml"
    assert (specs.parent / target).is_file()
    lines = result.stdout.splitlines()
    assert lines[0] == f"new-endpoint: wrote {target}"
    assert lines[1] == "review these 4 guess(es) before committing:"
    assert all(line.startswith(f"  {target}: ") for line in lines[2:6])
    named = "operationId query_cross_margin_fee_data and tags [margin] from the page's URL (the import path)"
    assert lines[2] == f"  {target}: {named}"
    assert lines[-1] == "then: make generate && make test"


# --- bad input ---------------------------------------------------------------------------------------------


def _bad_pages(folder: Path) -> dict[str, str]:
    """Bad pages written into ``folder``, with the reason each must be reported with."""
    folder.mkdir(parents=True, exist_ok=True)
    chinese = (SAMPLES / "2026-06/okx-rest-api-get-interest-rate.md").read_text(encoding="utf-8")
    english_end = chinese.index("\n---\n\n# ", chinese.index("# Get interest rate"))
    (folder / "chinese-only.md").write_text(chinese[: chinese.index("# Get")] + chinese[english_end + 6 :], "utf-8")
    (folder / "binary.md").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    (folder / "latin1.md").write_bytes("# Caf\xe9\n".encode("latin-1"))
    (folder / "empty.md").write_text("", encoding="utf-8")
    return {
        "chinese-only.md": "no English text (the page is in another language only)",
        "binary.md": "not UTF-8 text",
        "latin1.md": "not UTF-8 text",
        "empty.md": "empty file",
    }


def test_bad_pages_get_one_line_each_naming_the_file_and_fail_the_run(tmp_path: Path, specs: Path) -> None:
    reasons = _bad_pages(tmp_path / "docs" / "deep" / "er")
    result = _run(str(tmp_path / "docs"), "--specs", str(specs))
    assert result.returncode == 1 and "Traceback" not in result.stdout + result.stderr
    unreadable = sorted(line for line in result.stdout.splitlines() if ": unreadable: " in line)
    assert unreadable == sorted(f"deep/er/{name}: unreadable: {reason}" for name, reason in reasons.items())
    for name, reason in reasons.items():
        single = _run("new-endpoint", str(tmp_path / "docs/deep/er" / name), "--specs", str(specs))
        assert single.returncode == 2 and single.stderr.count("\n") == 1 and "Traceback" not in single.stderr
        assert single.stderr.strip().endswith(f"{name}: unreadable: {reason}")


def test_an_empty_folder_is_a_usage_error_in_one_line(tmp_path: Path) -> None:
    (tmp_path / "empty" / "sub").mkdir(parents=True)
    for command in ([], ["update-specs"]):
        result = _run(*command, str(tmp_path / "empty"))
        assert result.returncode == 2 and result.stdout == ""
        assert result.stderr.count("\n") == 1 and "empty folder (no *.md pages under it)" in result.stderr


# --- update-specs ------------------------------------------------------------------------------------------


def _drafted(specs: Path, name: str) -> Path:
    result = draft(read_page(SAMPLES / name, SAMPLES), specs)
    result.target.write_text(result.text, encoding="utf-8")
    return result.target


def test_update_specs_applies_june_to_a_january_draft_keeping_the_rest_byte_for_byte(
    specs: Path, tmp_path: Path
) -> None:
    target = _drafted(specs, "2026-01/okx-flexible-loan-get-loan-history.md")
    before = target.read_bytes()
    june = tmp_path / "june"
    june.mkdir()
    shutil.copy(SAMPLES / "2026-06/okx-flexible-loan-get-loan-history.md", june)
    assert [d.what for d in check(june, specs).differences] == ["parameter ordId"]

    first = update(june, specs)
    after = target.read_bytes()
    assert [d.what for d in first.applied] == ["parameter ordId"] and first.review == []
    assert first.written == ["specs/okx/endpoints/flexible_loan.get_loan_history.yaml"]
    # One parameter entry inserted after the last one; every other byte is where it was.
    anchor = b"      responses:\n"
    head, tail = before.split(anchor)
    assert after.startswith(head[: head.rindex(b"        - name: limit")])
    assert after.endswith(anchor + tail)
    inserted = after[len(head) : len(after) - len(anchor + tail)]
    assert inserted.startswith(b"        - name: ordId\n          in: query\n          required: false\n")
    assert check(june, specs).differences == []
    # Twice: nothing to do, nothing written.
    second = update(june, specs)
    assert (second.applied, second.review, second.written) == ([], [], [])
    assert target.read_bytes() == after


def test_update_specs_moves_a_binance_weight_to_its_uid_budget_and_keeps_comments(specs: Path, tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    page = (EXCHANGE_DOCS / "binance-query-max-borrow.md").read_text(encoding="utf-8")
    page, weights = re.subn(r"\*\*\d+\((?:IP|UID)\)\*\*", "**750(UID)**", page)
    assert weights == 2  # the English and the Chinese half
    (docs / "binance-query-max-borrow.md").write_text(page, encoding="utf-8")
    # The spec as it stood before the change: 50 per call of the /sapi/* IP budget.
    spec_file = specs / "binance/endpoints/margin.query_max_borrow.yaml"
    text = spec_file.read_text(encoding="utf-8")
    start, end = text.index("      x-rate-limit:\n"), text.index("      x-read-only:")
    ip_budget = "".join(
        f"{line}\n"
        for line in ("      x-rate-limit:", "        weight: 50", "        keyed-on: ip", "        limit: 12000")
    )
    ip_budget += "        window-ms: 60000\n"
    spec_file.write_text(text[:start] + ip_budget + text[end:], encoding="utf-8")
    before = spec_file.read_text(encoding="utf-8")
    report = update(docs, specs)
    assert report.review == [] and {"x-rate-limit.weight", "x-rate-limit.keyed-on"} <= {d.what for d in report.applied}
    after = spec_file.read_text(encoding="utf-8")
    limit = yaml.safe_load(after)["paths"]["/sapi/v1/margin/maxBorrowable"]["get"]["x-rate-limit"]
    assert limit == {
        "weight": 750,
        "keyed-on": "account",
        "limit": 180000,
        "window-ms": 60000,
        "used-weight-header": "X-SAPI-USED-UID-WEIGHT-1M",
    }
    assert after.splitlines()[:2] == before.splitlines()[:2]  # the header comment
    assert after.split("      x-read-only: true\n", 1)[1] == before.split("      x-read-only: true\n", 1)[1]
    assert check(docs, specs).differences == []


def test_a_rename_is_left_to_a_person(specs: Path, tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    page = (EXCHANGE_DOCS / "okx-get-maximum-loan-of-instrument.md").read_text(encoding="utf-8")
    (docs / "okx.md").write_text(page.replace("mgnCcy | String", "marginCcy | String", 1), encoding="utf-8")
    spec_file = specs / "okx/endpoints/account.get_max_loan.yaml"
    before = spec_file.read_bytes()
    report = update(docs, specs)
    assert report.applied == [] and report.written == []
    assert [(d.what, why) for d, why in report.review] == [
        ("parameter mgnCcy: name", "a rename or an ambiguous change: decided by a person")
    ]
    assert spec_file.read_bytes() == before


# --- a scraped tree ----------------------------------------------------------------------------------------

TREE_PAGES: Final = 3000


def _tree(root: Path) -> None:
    """A scraped tree of a few thousand pages at depths 0 to 5: every real sample page many times over as
    other endpoints (their routes and URLs renamed), general pages, our five pages, our Binance page
    replaced by the change log, and one page of ours saved twice under the scraper's name for it."""
    samples = sorted(p for p in SAMPLES.rglob("*.md") if p != CHANGE_LOG)
    texts = [p.read_text(encoding="utf-8") for p in samples]
    for index in range(TREE_PAGES):
        text = texts[index % len(texts)]
        for old in ("/api/v5/", "/sapi/v1/", "source_url: https://"):
            text = text.replace(old, f"{old}x{index}" + ("/" if old.endswith("/") else "."))
        folder = root.joinpath(*(f"section-{(index >> shift) % 6}" for shift in range(index % 6)))
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"page-{index}.md").write_text(text, encoding="utf-8")
    ours = root / "margin_trading" / "borrow-and-repay"
    ours.mkdir(parents=True)
    for page in EXCHANGE_DOCS.glob("*.md"):
        if page.name != "binance-query-max-borrow.md":
            shutil.copy(page, root / "section-1" / page.name)
    # The scraper saved the margin change log under the name of our Binance endpoint's page.
    shutil.copy(CHANGE_LOG, ours / "Query-Max-Borrow.md")


def test_a_scraped_tree_reports_only_our_operations(tmp_path: Path) -> None:
    root = tmp_path / "tree"
    _tree(root)
    started = time.perf_counter()
    result = _run(str(root))
    seconds = time.perf_counter() - started
    lines = result.stdout.splitlines()
    assert result.returncode == 1, result.stderr
    assert [line for line in lines if not line.startswith(("note: ", "change log ", "check-docs: "))] == [
        "margin_trading/borrow-and-repay/Query-Max-Borrow.md -> specs/binance/endpoints/margin.query_max_borrow.yaml:"
        " its page no longer documents this endpoint: page=a change log spec=GET /sapi/v1/margin/maxBorrowable"
    ]
    log = "change log margin_trading/borrow-and-repay/Query-Max-Borrow.md"
    changes = [line for line in lines if line.startswith("change log ")]
    assert changes == [
        f"{log}: 2026-04-16: `GET /sapi/v1/margin/maxBorrowable` request weight updated from 50(IP) to 750(UID).",
        f"{log}: 2020-09-30: Update endpoints for Margin Account: `GET /sapi/v1/margin/maxBorrowable` new field"
        " `borrowLimit` in response for account borrow limit.",
        f'{log}: 2020-07-28: New parameter "isolatedSymbol" added for isolated margin in the following endpoints:'
        " `GET /sapi/v1/margin/maxBorrowable` `GET /sapi/v1/margin/maxTransferable`",
    ]
    # The server-time operations have no page in any scrape of these sections: named, not failed.
    notes = [line for line in lines if line.startswith("note: ")]
    assert all(line.endswith("has no page in the folder (not compared)") for line in notes if "specs/" in line)
    assert sum("get_server_time" in line for line in notes) == 3
    total = TREE_PAGES + 5
    general = sum(1 for index in range(TREE_PAGES) if "general" in _sample_name(index))
    assert lines[-1] == (
        f"check-docs: {total} page(s): 4 of our operations compared, {TREE_PAGES - general} of other endpoints and"
        f" {general + 1} documenting none skipped; 1 difference(s), 0 unreadable, 3 change-log entries naming our paths"
    )
    print(f"check-docs over {total} pages: {seconds:.1f} s")  # shown with -s; not a timed assertion (see make bench)
    assert seconds < 120, "a scraped tree must take seconds, not minutes"


def _sample_name(index: int) -> str:
    samples = sorted(p for p in SAMPLES.rglob("*.md") if p != CHANGE_LOG)
    return samples[index % len(samples)].relative_to(SAMPLES).as_posix()


def test_a_general_page_documents_no_endpoint_and_keeps_its_english_text() -> None:
    # The reader's NoEndpoint carries the English text, so a general page can still be read as a change log.
    with pytest.raises(NoEndpoint) as raised:
        read_page(CHANGE_LOG, SAMPLES)
    assert "2026-04-16" in raised.value.text and "更新日志" not in raised.value.text


# --- the rate limit's shape (RATE-LIMIT-CONTRACT) ----------------------------------------------------------


def test_pools_keys_and_undocumented_limits_read_as_the_contract_says(specs: Path, tmp_path: Path) -> None:
    base = specs / "binance/_base.yaml"
    shared = yaml.safe_load(base.read_text(encoding="utf-8"))
    pool = {"limit": 6000, "window-ms": 60000, "keyed-on": "ip", "used-weight-header": "X-MBX-USED-WEIGHT-1M"}
    shared.setdefault("x-rate-limit-pools", {})["api-ip-weight"] = pool
    base.write_text(yaml.safe_dump(shared, sort_keys=False), encoding="utf-8")
    time_spec = specs / "binance/endpoints/general.get_server_time.yaml"
    text = time_spec.read_text(encoding="utf-8")
    start = text.index("      x-rate-limit:")
    end = text.index("      x-read-only:")
    time_spec.write_text(text[:start] + "      x-rate-limit: {pool: api-ip-weight, weight: 1}\n" + text[end:], "utf-8")
    loan = specs / "okx/endpoints/account.get_max_loan.yaml"
    loan.write_text(re.sub(r"keyed-on: \w+", "keyed-on: user", loan.read_text(encoding="utf-8")), encoding="utf-8")
    operations = {op.origin.rsplit("/", 1)[1]: op for op in load_specs(specs)[0]}
    server_time = operations["general.get_server_time.yaml"]
    assert (server_time.pool, server_time.rate_limit, server_time.window_ms, server_time.keyed_on) == (
        "api-ip-weight",
        6000,
        60000,
        "ip",
    )
    assert (server_time.weight, server_time.used_weight_header) == (1, "X-MBX-USED-WEIGHT-1M")
    assert operations["account.get_max_loan.yaml"].keyed_on == "account"  # the retired "user"
    assert operations["account.get_max_borrow_quantity.yaml"].rate_limit_documented is False
    # A Binance /api/* page draws on the shared pool; update-specs then changes only its weight.
    page = (EXCHANGE_DOCS / "binance-query-max-borrow.md").read_text(encoding="utf-8")
    docs = tmp_path / "docs"
    docs.mkdir()
    page = page.replace("/sapi/v1/margin/maxBorrowable", "/api/v3/time")
    page = page.replace("margin_trading/borrow-and-repay/Query-Max-Borrow", "binance-spot-api-docs/rest-api/time")
    (docs / "time.md").write_text(re.sub(r"\*\*\d+\((?:IP|UID)\)\*\*", "**2(IP)**", page), encoding="utf-8")
    time_spec.unlink()
    drafted = draft(read_page(docs / "time.md", docs), specs)
    limit = yaml.safe_load(drafted.text)["paths"]["/api/v3/time"]["get"]["x-rate-limit"]
    assert limit == {"pool": "api-ip-weight", "weight": 2}


def test_update_specs_applies_every_mechanical_kind_of_change_once(specs: Path, tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    page = (EXCHANGE_DOCS / "okx-get-maximum-loan-of-instrument.md").read_text(encoding="utf-8")
    changed = (
        page.replace("#trading-account-rest-api-get-the-maximum-loan-of-instrument", "#account-max-loan", 1)
        .replace("Rate Limit: 20 requests per 2 seconds", "Rate Limit: 40 requests per 2 seconds", 1)
        .replace("#### Permission: Read", "#### Permission: Trade", 1)
        .replace("`isolated` `cross`", "`isolated` `cross` `spot`", 1)
        .replace("(no more than 5)", "(no more than 10)", 1)
        .replace(
            "mgnCcy | String | Margin currency", "mgnCcy | String | Margin currency  \nliab | String | Liability", 1
        )
    )
    (docs / "okx.md").write_text(changed, encoding="utf-8")
    spec_file = specs / "okx/endpoints/account.get_max_loan.yaml"
    before = spec_file.read_text(encoding="utf-8")
    first = update(docs, specs)
    assert first.review == []
    assert sorted(d.what for d in first.applied) == [
        "externalDocs.url",
        "parameter instId: x-max-list-items",
        "parameter mgnMode: enum",
        "response field liab",
        "x-rate-limit.limit",
        "x-read-only",
    ]
    operation = yaml.safe_load(spec_file.read_text(encoding="utf-8"))["paths"]["/api/v5/account/max-loan"]["get"]
    assert operation["externalDocs"]["url"] == "https://www.okx.com/docs-v5/en/#account-max-loan"
    # The key is written in the contract's vocabulary: the retired "user" becomes "account".
    assert operation["x-rate-limit"] == {"limit": 40, "window-ms": 2000, "keyed-on": "account", "weight": 1}
    assert operation["x-read-only"] is False
    assert operation["parameters"][1]["schema"]["x-max-list-items"] == 10
    text = spec_file.read_text(encoding="utf-8")
    assert "enum: [isolated, cross, spot]" in text  # the spec's order and flow style, the new value appended
    assert 'pattern: "^[^,]+(,[^,]+){0,9}$"' in text  # the comma-list pattern follows the new size
    # A comment inside the edited schema survives the edit next to it.
    assert "# Read by the client's request validator" in spec_file.read_text(encoding="utf-8")
    assert check(docs, specs).differences == []
    after = spec_file.read_bytes()
    assert update(docs, specs).written == [] and spec_file.read_bytes() == after
    assert before.count("\n") + 3 == after.decode().count("\n")  # liab's three lines, every other line kept


def test_a_post_page_is_drafted_with_its_body(specs: Path) -> None:
    # The shipped OKX POST operation, its file removed: the body's fields, flags and amounts come from the page.
    (specs / "okx/endpoints/flexible_loan.max_loan_amount.yaml").unlink()
    page = read_page(EXCHANGE_DOCS / "okx-flexible-loan-maximum-loan-amount.md", EXCHANGE_DOCS)
    result = draft(page, specs)
    assert result.remaining == []
    doc = yaml.safe_load(result.text)
    body = doc["paths"]["/api/v5/finance/flexible-loan/max-loan"]["post"]["requestBody"]["content"]["application/json"]
    assert body["example"]["borrowCcy"] == "USDT"
    schema = doc["components"]["schemas"]["PostMaximumLoanAmountRequest"]
    assert schema["required"] == ["borrowCcy"]
    assert schema["properties"]["borrowCcy"] == {
        "type": "string",
        "minLength": 1,
        "description": "Currency to borrow, e.g. `USDT`",
    }
    collateral = schema["properties"]["supCollateral"]["items"]
    assert collateral["properties"]["amt"]["format"] == "decimal" and collateral["required"] == ["ccy", "amt"]
    assert any("body field supCollateral[].amt: format: decimal" in guess for guess in result.guesses)
