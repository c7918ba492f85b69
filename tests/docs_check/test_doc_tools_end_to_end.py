"""The doc-samples end to end, in one copy of the repository and one ``make generate`` (issue 21's Done-when):

- each single page goes through ``make new-endpoint``, then ``make generate``, the contract suites on the
  sandbox and a clean ``make check-docs``, with no hand edit;
- each January page goes through ``make new-endpoint``, then ``make update-specs`` from its June page, then a
  clean check-docs against June, with the new parameter (``ordId``) in the generated client.

The README's ``make new-endpoint`` command is one of them, run as written, and must print what the README shows.
The pages are the snapshot in tests/fixtures/doc-samples, so this never skips for want of ../shared. The copy
shares this checkout's virtual environment (tests/codegen/test_adding_an_endpoint.py's pattern).
"""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path
from typing import Final

import pytest

from tests._readme import block
from tests._specs import REPO
from tests.codegen.test_adding_an_endpoint import STAMP, _copy_of_the_repository, _make, _run

SAMPLES: Final = "tests/fixtures/doc-samples"
SECTION: Final = "Adding an endpoint"
# The contract suites, as tests/codegen/test_adding_an_endpoint.py runs them for one new operation.
SUITES: Final = ("tests/contract", "tests/client/test_response_shapes.py", "tests/client/test_validation.py")
# (page, operation the draft names) of every sample: singles, then the January halves of the pairs.
SINGLES: Final = (
    ("2026-01/binance-Get-Interest-History.md", "binance", "margin", "get_interest_history"),
    (
        "2026-01/binance-Query-Cross-Margin-Account-Details.md",
        "binance",
        "margin",
        "query_cross_margin_account_details",
    ),
    ("2026-01/binance-Query-Cross-Margin-Fee-Data.md", "binance", "margin", "query_cross_margin_fee_data"),
    (
        "2026-01/binance-Query-Margin-Interest-Rate-History.md",
        "binance",
        "margin",
        "query_margin_interest_rate_history",
    ),
    ("2026-06/okx-rest-api-get-borrow-interest-and-limit.md", "okx", "account", "get_borrow_interest_and_limit"),
    ("2026-06/okx-rest-api-get-interest-accrued-data.md", "okx", "account", "get_interest_accrued_data"),
    ("2026-06/okx-rest-api-get-interest-rate.md", "okx", "account", "get_interest_rate"),
    ("2026-06/okx-rest-api-get-maximum-withdrawals.md", "okx", "account", "get_maximum_withdrawals"),
)
JANUARY: Final = (
    ("2026-01/okx-flexible-loan-get-accrued-interest.md", "okx", "flexible_loan", "get_accrued_interest"),
    ("2026-01/okx-flexible-loan-get-loan-history.md", "okx", "flexible_loan", "get_loan_history"),
)


@pytest.mark.pipeline
@pytest.mark.skipif(not (REPO / STAMP).exists(), reason="needs the venv `make venv` builds")
def test_every_sample_page_becomes_a_tested_client_with_no_hand_edit(tmp_path: Path) -> None:
    command, output = block(SECTION, 0), block(SECTION, 1)
    readme_line = command.text.splitlines()[0]
    assert readme_line.startswith(f"make new-endpoint PAGE={SAMPLES}/")
    copy = _copy_of_the_repository(tmp_path)
    endpoint_files = sorted((copy / "specs").rglob("endpoints/*.yaml"))

    # new-endpoint, page by page; the README's command as written prints the README's output.
    for page, exchange, tag, operation in (*SINGLES, *JANUARY):
        drafted = _run(copy, _make(f"new-endpoint PAGE={SAMPLES}/{page}"))
        assert drafted.returncode == 0, drafted.stdout + drafted.stderr
        assert (copy / f"specs/{exchange}/endpoints/{tag}.{operation}.yaml").is_file()
        if readme_line.endswith(page):
            assert drafted.stdout.split("\n", 1)[1] == output.text, "the README's new-endpoint output is stale"
    assert len(sorted((copy / "specs").rglob("endpoints/*.yaml"))) == len(endpoint_files) + 10

    # update-specs from June: the January drafts gain ordId; the singles drafted from June pages stay as they are.
    june = f"{SAMPLES}/2026-06"
    updated = _run(copy, _make(f"update-specs DOCS={june}"))
    assert updated.returncode == 0, updated.stdout + updated.stderr
    assert sorted(
        re.findall(r"^applied: (\S+) .*: parameter (\w+): page=present spec=absent$", updated.stdout, re.M)
    ) == [
        ("okx-flexible-loan-get-accrued-interest.md", "ordId"),
        ("okx-flexible-loan-get-loan-history.md", "ordId"),
    ]

    generated = _run(copy, _make("generate"))
    assert generated.returncode == 0, generated.stdout + generated.stderr
    for _, exchange, tag, operation in JANUARY:
        module = (copy / f"generated/{exchange}_client/api/{tag}/{operation}.py").read_text(encoding="utf-8")
        assert "ord_id: str | Unset = UNSET" in module and '"&ordId="' in module

    # The contract suites on the sandbox, selected to the new operations (every one must have run and passed).
    names = [operation for *_, operation in (*SINGLES, *JANUARY)]
    selected = " or ".join(names)
    tested = _run(
        copy, f"{sys.executable} -m pytest -q -rA -p no:randomly -k '{selected}' {' '.join(SUITES)}", timeout=600
    )
    assert tested.returncode == 0, tested.stdout[-4000:] + tested.stderr[-2000:]
    passed = re.findall(r"^PASSED (\S+)", tested.stdout, re.M)
    for page, exchange, _, operation in (*SINGLES, *JANUARY):
        ran = [test for test in passed if f"[{exchange}-{operation}-" in test or f"[{exchange}-{operation}]" in test]
        assert any("test_operation_passes_the_sandbox_and_parses_the_documented_example" in t for t in ran), page
        assert any("test_every_documented_example_has_the_documented_shape" in t for t in ran), page

    # check-docs against the pages drafted from (June for the pairs): clean, every page compared.
    docs = tmp_path / "pages"
    for page in [page for page, *_ in SINGLES] + [page.replace("2026-01", "2026-06") for page, *_ in JANUARY]:
        (docs / page).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(copy / SAMPLES / page, docs / page)
    checked = _run(copy, _make(f"check-docs DOCS={docs}"))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stdout.splitlines()[-1].startswith("check-docs: 10 page(s): 10 of our operations compared, ")
    assert "; 0 difference(s), 0 unreadable" in checked.stdout
