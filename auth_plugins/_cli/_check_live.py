"""``exchange-clients check-live``: what the live exchange answers, checked against the spec.

Every read-only operation of every configured exchange is called once, through its factory-made client (rate
limits, retries and deadlines apply), with the spec's sample arguments (``--asset`` and ``--param`` override
them). Each answer is walked completely (:meth:`Shape.audit <auth_plugins._response_shapes.Shape.audit>`), even
one the client refuses, and the operation is reported ``clean``, ``drift`` (undocumented fields, values outside
those the docs name), ``breaking`` (what the clients refuse: a documented field missing or of the wrong JSON type,
an amount that is not a decimal string, an undocumented status) or ``error`` (no answer to check: the exchange
refused the call, the network failed). Every finding names the endpoint file to edit. All text is built while
the answering client's redactor is active and passes through it, so no secret can be printed.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final
from xml.etree import ElementTree

import httpx

from auth_plugins._cli._config import Configured
from auth_plugins._generated import endpoint, operations, sample_arguments
from auth_plugins._operation import OperationInfo, ParamInfo
from auth_plugins._redaction import redact
from auth_plugins._response_shapes import Finding, expected_shape
from auth_plugins._responses import UNDECODABLE, decode_json, observing
from auth_plugins.errors import ExchangeError, ResponseError, UsageError

__all__ = ["ASSET_PARAMETERS", "Checked", "Override", "check_live", "parse_override", "render", "to_junit"]

ASSET_PARAMETERS: Final[Mapping[str, tuple[str, ...]]] = {
    "symbol": (),
    "asset": ("isolatedSymbol",),
    "ccy": ("instId",),
    "borrowCcy": (),
}
"""What ``--asset`` sets: each wire parameter (query or top-level body field) naming the currency asked about,
and the sample arguments it replaces (an instrument or pair that names other currencies)."""

_MESSAGE_CHARS: Final = 300


@dataclass(frozen=True)
class Override:
    """``--param [OPERATION.]NAME=VALUE``: ``value`` ``""`` drops the sample argument ``name``."""

    operation_id: str | None
    name: str
    value: str


def parse_override(text: str) -> Override:
    """The :class:`Override` of ``--param``'s ``text``; :class:`UsageError` when it has no ``NAME=``."""
    name, equals, value = text.partition("=")
    if not equals or not name.strip():
        raise UsageError(f"--param takes NAME=VALUE or OPERATION.NAME=VALUE, not {text[:40]!r}")
    operation_id, dot, bare = name.strip().rpartition(".")
    return Override(operation_id if dot else None, bare, value)


@dataclass
class Checked:
    """What check-live found for one operation: ``result`` ``clean``, ``drift``, ``breaking`` or ``error``;
    ``findings`` (kind, schema path, rule); ``error`` (``class: message``) when the call failed."""

    exchange: str
    operation: str
    method: str
    path: str
    spec_file: str
    result: str = "clean"
    findings: list[Finding] = field(default_factory=list)
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The JSON object ``--json`` prints for this operation."""
        return {
            "exchange": self.exchange,
            "operation": self.operation,
            "method": self.method,
            "path": self.path,
            "spec_file": self.spec_file,
            "result": self.result,
            "findings": [finding._asdict() for finding in self.findings],
            "error": self.error,
        }


def _convert(param: ParamInfo | None, value: str) -> object:
    """``--param``'s text as the spec types ``param``: booleans, integers, JSON arrays and objects."""
    kind = param.type if param is not None else "string"
    if kind == "boolean" and value.lower() in ("true", "false"):
        return value.lower() == "true"
    if kind == "integer":
        try:
            return int(value)
        except ValueError:
            raise UsageError(f"--param {param.name if param else ''}: {value[:40]!r} is not an integer") from None
    if kind in ("array", "object"):
        try:
            return json.loads(value)
        except ValueError:
            raise UsageError(f"--param {param.name if param else ''} takes JSON") from None
    return value


def _arguments(
    exchange: str, operation: OperationInfo, asset: str | None, overrides: Sequence[Override]
) -> dict[str, Any]:
    """The call's keyword arguments: the spec's sample arguments with ``--asset`` and ``--param`` applied."""
    query = {param.name: param for param in operation.params if param.location != "body"}
    fields = {param.name: param for param in operation.params if param.location == "body" and "." not in param.name}
    examples: dict[str, object] = dict(operation.examples)
    body = examples.get("body")
    body = dict(body) if isinstance(body, Mapping) else None
    changes: dict[str, str] = {}
    if asset is not None:
        for name, replaced in ASSET_PARAMETERS.items():
            if name in query or name in fields:
                changes[name] = asset
                changes.update(dict.fromkeys((other for other in replaced if other in query or other in fields), ""))
    for override in overrides:
        if override.operation_id in (None, operation.operation_id):
            if override.name in query or override.name in fields:
                changes[override.name] = override.value
    for name, value in changes.items():
        if name in fields and body is not None:
            if value == "":
                body.pop(name, None)
            else:
                body[name] = _convert(fields[name], value)
        elif name in query:
            if value == "":
                examples.pop(name, None)
            else:
                examples[name] = _convert(query[name], value)
    if body is not None:
        examples["body"] = body
    return sample_arguments(f"{exchange}_client", operation, tuple(examples.items()))


def _observe(checked: Checked, operation: OperationInfo) -> Any:
    """The observer that audits each answer of ``operation`` while its client's redactor is active."""

    def observer(answered: OperationInfo, response: httpx.Response) -> None:
        if answered is not operation:
            return
        status = response.status_code
        findings: list[Finding] = []
        if 200 <= status < 300 and status != operation.response_status:
            findings.append(Finding("breaking", "", f"undocumented status {status}"))
        shape = expected_shape(operation, status)
        if shape is not None:
            body = decode_json(response.content)
            if body is UNDECODABLE:
                findings.append(Finding("breaking", "", "the body is not JSON"))
            else:
                findings.extend(shape.audit(body))
        checked.findings = [Finding(kind, redact(path), redact(rule)) for kind, path, rule in findings]

    return observer


def _check(entry: Configured, operation: OperationInfo, asset: str | None, overrides: Sequence[Override]) -> Checked:
    checked = Checked(
        entry.exchange, operation.operation_id, operation.method, operation.path, operation.spec_file or "?"
    )
    arguments = _arguments(entry.exchange, operation, asset, overrides)
    call = endpoint(f"{entry.exchange}_client", operation).sync_detailed
    try:
        with observing(_observe(checked, operation)):
            call(client=entry.client, **arguments)
    except UsageError:
        raise
    except ResponseError as error:
        # The answer breaks the documented response; the audit says where (or the error, for a body it cannot).
        if not any(finding.kind == "breaking" for finding in checked.findings):
            checked.findings.append(Finding("breaking", "", str(error)[:_MESSAGE_CHARS]))
    except ExchangeError as error:
        checked.result, checked.findings = "error", []
        checked.error = f"{type(error).__name__}: {str(error)[:_MESSAGE_CHARS]}"
        return checked
    kinds = {finding.kind for finding in checked.findings}
    checked.result = "breaking" if "breaking" in kinds else "drift" if kinds else "clean"
    return checked


def check_live(
    configured: Iterable[Configured], *, asset: str | None = None, overrides: Sequence[Override] = ()
) -> list[Checked]:
    """Call every read-only operation of each configured exchange once and check its answer (module doc).

    :class:`UsageError` for an override naming no parameter of any operation called, or an argument the request
    validator refuses (nothing is sent then)."""
    entries = list(configured)
    called = [
        (entry, operation)
        for entry in entries
        for operation in operations(f"{entry.exchange}_client")
        if operation.read_only
    ]
    names = {param.name for _, operation in called for param in operation.params}
    for override in overrides:
        if override.name not in names:
            raise UsageError(f"--param {override.name}: no operation checked takes a parameter of that name")
    return [_check(entry, operation, asset, overrides) for entry, operation in called]


_HEADINGS: Final = ("exchange", "operation", "result", "field", "finding", "spec file")


def render(results: Sequence[Checked]) -> str:
    """The aligned table: one row per finding (one row for a clean operation or an error)."""
    rows: list[tuple[str, ...]] = []
    for checked in results:
        head = (checked.exchange, checked.operation)
        if checked.error is not None:
            rows.append((*head, checked.result, "-", checked.error, checked.spec_file))
        elif not checked.findings:
            rows.append((*head, checked.result, "-", "-", checked.spec_file))
        for finding in checked.findings:
            rows.append((*head, finding.kind, finding.path or "(body)", finding.rule, checked.spec_file))
    widths = [max(len(row[column]) for row in (_HEADINGS, *rows)) for column in range(len(_HEADINGS))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in (_HEADINGS, *rows)
    )


def to_junit(results: Sequence[Checked]) -> bytes:
    """JUnit XML for CI: one test case per operation (class ``check-live.<exchange>``), a ``failure`` for drift
    or breaking findings (each naming its spec file), an ``error`` when the call failed."""
    failures = sum(checked.result in ("drift", "breaking") for checked in results)
    errors = sum(checked.result == "error" for checked in results)
    suite = ElementTree.Element(
        "testsuite",
        name="exchange-clients check-live",
        tests=str(len(results)),
        failures=str(failures),
        errors=str(errors),
    )
    for checked in results:
        case = ElementTree.SubElement(
            suite,
            "testcase",
            classname=f"check-live.{checked.exchange}",
            name=checked.operation,
            file=checked.spec_file,
        )
        if checked.error is not None:
            ElementTree.SubElement(
                case, "error", message=checked.error, type="error"
            ).text = f"{checked.error}\nspec file: {checked.spec_file}"
        elif checked.findings:
            lines = [f"{finding.kind}: {finding.path or '(body)'} {finding.rule}" for finding in checked.findings]
            ElementTree.SubElement(
                case, "failure", message=f"{checked.result}: edit {checked.spec_file}", type=checked.result
            ).text = "\n".join([*lines, f"spec file: {checked.spec_file}"])
    ElementTree.indent(suite)
    data: bytes = ElementTree.tostring(suite, encoding="utf-8", xml_declaration=True)
    return data + b"\n"
