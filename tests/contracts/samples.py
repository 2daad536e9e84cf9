"""An instance of any message class with every field set to a non-default value of its type, so
a round trip through to_dict/from_dict exercises each field (nested parts, tuples, None-able)."""
from __future__ import annotations

import dataclasses
import types
import typing
from typing import Any


def value_of(hint: Any) -> Any:
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin is typing.Literal:
        return args[-1]
    if origin in (typing.Union, types.UnionType):
        return value_of(next(a for a in args if a is not type(None)))
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return sample(hint)
    if origin is tuple:
        return (value_of(args[0]),) if len(args) == 2 and args[1] is Ellipsis else tuple(value_of(a) for a in args)
    if origin is list:
        return [value_of(args[0]) if args else "x"]
    if origin is dict or hint is dict:
        return {"k": value_of(args[1]) if args else "v"}
    return {str: "x", bool: True, int: 7, float: 1.5, bytes: b""}[hint]


def sample(cls: type) -> Any:
    hints = typing.get_type_hints(cls)
    return cls(**{f.name: value_of(hints[f.name]) for f in dataclasses.fields(cls) if f.init})
