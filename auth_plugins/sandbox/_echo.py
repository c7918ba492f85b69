"""Documented examples that reflect the request: the asked asset or instrument in the example's place.

A sandbox that always answers ``symbol: USDC`` whatever was asked lets a caller's mix-ups pass unnoticed.
``reflect`` copies the documented 200 example and, wherever an object in it has a field named like one of the
request's :data:`ECHOED` parameters (query, or top-level JSON body field), puts the asked value there. The
values were validated against the request schema before, and the response fields they land in are plain
strings (booleans for Backpack's ``autoBorrow``/``autoLendRedeem``), so the answer stays valid per the spec;
the sandbox checks every answer against it anyway.

OKX instruments are lists: ``instId=BTC-USDT,ETH-USDT`` asks about two, so an array whose items carry
``instId`` is rebuilt with the example's entries for its first instrument repeated per asked instrument, and
each entry's ``ccy`` follows its instrument (the example's base currency becomes the asked base, its quote
currency the asked quote) unless ``ccy`` itself was asked.

Any other comma-separated list (OKX ``ccy=BTC,ETH``) is never written whole into one field: an array whose
items carry that field is rebuilt with one entry per asked value (the documented entry for that value when
there is one, else the documented entries in turn, with the field set to the value); elsewhere the
documented value stays.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any, Final

__all__ = ["ECHOED", "reflect"]

ECHOED: Final = ("symbol", "asset", "instId", "ccy", "borrowCcy", "mgnMode", "mgnCcy", "autoBorrow", "autoLendRedeem")
"""Request parameters whose asked value replaces a same-named field of the documented example."""

_BOOLEANS: Final = {"true": True, "false": False}


def _value(asked: str | bool, documented: Any) -> Any:
    """``asked`` as the documented field's type, or ``documented`` when it cannot be (never an invalid value)."""
    if isinstance(documented, bool):
        if isinstance(asked, bool):
            return asked
        return _BOOLEANS.get(asked, documented)
    if isinstance(documented, str) and isinstance(asked, str):
        return asked
    return documented


def _base_quote(instrument: str) -> tuple[str, str | None]:
    parts = instrument.split("-")
    return parts[0], parts[1] if len(parts) > 1 else None


def _instruments(items: list[Any], instruments: list[str], asked: Mapping[str, str | bool]) -> list[Any]:
    first = items[0]["instId"]
    template = [item for item in items if item.get("instId") == first]
    base, quote = _base_quote(str(first))
    rebuilt: list[Any] = []
    for instrument in instruments:
        asked_base, asked_quote = _base_quote(instrument)
        for item in template:
            entry = dict(item, instId=instrument)
            if "ccy" in entry and "ccy" not in asked:
                if entry["ccy"] == base:
                    entry["ccy"] = asked_base
                elif entry["ccy"] == quote and asked_quote is not None:
                    entry["ccy"] = asked_quote
            rebuilt.append(entry)
    return rebuilt


def _listed(asked: Mapping[str, str | bool], key: str) -> list[str]:
    """The values of a comma-separated ask for ``key`` (other than ``instId``); empty for a single value."""
    value = asked.get(key)
    return value.split(",") if key != "instId" and isinstance(value, str) and "," in value else []


def _per_value(items: list[Any], key: str, values: list[str]) -> list[Any]:
    by_value = {item[key]: item for item in items}
    return [dict(by_value.get(value, items[index % len(items)]), **{key: value}) for index, value in enumerate(values)]


def _walk(node: Any, asked: Mapping[str, str | bool], instruments: list[str]) -> Any:
    if isinstance(node, dict):
        out = {key: _walk(value, asked, instruments) for key, value in node.items()}
        for key in ECHOED:
            if key in out and key in asked and key != "instId" and not _listed(asked, key):
                out[key] = _value(asked[key], out[key])
        return out
    if isinstance(node, list):
        items = [_walk(item, asked, instruments) for item in node]
        if instruments and items and all(isinstance(item, dict) and "instId" in item for item in items):
            return _instruments(items, instruments, asked)
        for key in ECHOED:
            values = _listed(asked, key)
            if values and items and all(isinstance(item, dict) and isinstance(item.get(key), str) for item in items):
                return _per_value(items, key, values)
        return items
    return node


def reflect(example: Any, asked: Mapping[str, str | bool]) -> Any:
    """A copy of ``example`` with the ``asked`` values of :data:`ECHOED` parameters in place (see the module doc).

    ``asked`` maps parameter names to the request's values: query values as strings, JSON body fields as
    decoded. Parameters not in :data:`ECHOED`, and values of another type than the example's field, are ignored.
    """
    instrument_list = asked.get("instId")
    instruments = instrument_list.split(",") if isinstance(instrument_list, str) and instrument_list else []
    return _walk(copy.deepcopy(example), asked, instruments)
