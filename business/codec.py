"""Dataclasses <-> JSON for the HTTP API: Decimal as a string with 2 places, dates as ISO text."""
from __future__ import annotations

import dataclasses
import datetime as dt
import types
import typing
from decimal import Decimal
from functools import cache


def dump(obj):
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: dump(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, Decimal):
        return f"{obj:.2f}"
    if isinstance(obj, (dt.date, dt.datetime)):
        return obj.isoformat()
    if isinstance(obj, (list, tuple)):
        return [dump(x) for x in obj]
    if isinstance(obj, dict):
        return {k: dump(x) for k, x in obj.items()}
    return obj


@cache
def _hints(cls) -> dict:
    return typing.get_type_hints(cls)


def _convert(tp, value):
    if value is None:
        return None
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in typing.get_args(tp) if a is not type(None)]
        return _convert(inner[0], value)
    if origin is tuple:
        return tuple(_convert(typing.get_args(tp)[0], x) for x in value)
    if origin is list:
        return [_convert(typing.get_args(tp)[0], x) for x in value]
    if tp is Decimal:
        return Decimal(str(value)).quantize(Decimal("0.01"))
    if tp is dt.datetime:
        return dt.datetime.fromisoformat(value)
    if tp is dt.date:
        return dt.date.fromisoformat(value)
    if dataclasses.is_dataclass(tp):
        return load(tp, value)
    return value


def load(cls, data: dict):
    hints = _hints(cls)
    return cls(**{f.name: _convert(hints[f.name], data[f.name]) for f in dataclasses.fields(cls) if f.name in data})
