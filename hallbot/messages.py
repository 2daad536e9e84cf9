"""One convention for every message that crosses a process or a screen: screen messages
(bot/kiosk/messages.py), vision events (vision/events.py), voice events (voice/events.py), staff
notices (bot/staff/notices.py) and the actions' custom payloads (hallbot/payloads.py).

Why: each family had its own base class and its own rule for the `type` it is sent under, and
none could be read back, so a renamed class or field changed the wire silently. Now:
- every class declares `type: ClassVar[str]` itself (a `Family` refuses a class that inherits
  one, so renaming a class never changes what the page receives);
- `to_dict()` is the JSON form, the type under the family's `type_key`;
- `from_dict()` reads it back, strictly: wrong or unknown type, a missing field or a key the
  class does not have is a `MessageError` (a ValueError). Strict on extra keys because a
  field renamed on one side must fail a test, not fall back to a default on the screen. Keys
  a class adds to its JSON for readers (`derived_keys`, e.g. a notice's `reason_text`) are
  skipped when reading.
- a `Family` is the registry of one family, for dispatch (`family.from_dict(d)`).
"""
from __future__ import annotations

import builtins
import dataclasses
import types
import typing
from collections.abc import Iterator, Mapping
from typing import Any, ClassVar, TypeVar

M = TypeVar("M", bound="Message")


class MessageError(ValueError):
    """A dict that is not a message of the expected family or class."""


class UnknownType(MessageError):
    pass


class MissingField(MessageError):
    pass


class UnexpectedField(MessageError):
    pass


def _plain(value: Any) -> Any:
    """JSON-ready form: nested dataclasses as dicts, tuples as lists."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _decode(hint: Any, value: Any, where: str) -> Any:
    """The inverse of _plain for one field, by its type hint (lists back to tuples, dicts back to
    nested dataclasses); other values pass through as JSON gave them."""
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        if value is None:
            return None
        options = [a for a in typing.get_args(hint) if a is not type(None)]
        return _decode(options[0], value, where) if len(options) == 1 else value
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        if not isinstance(value, Mapping):
            raise MessageError(f"{where}: expected an object, got {type(value).__name__}")
        return _build(hint, value, where)
    if origin is tuple:
        if not isinstance(value, (list, tuple)):
            raise MessageError(f"{where}: expected a list, got {type(value).__name__}")
        args = typing.get_args(hint)
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_decode(args[0], v, f"{where}[{i}]") for i, v in enumerate(value))
        return tuple(value)
    return value


def _build(cls: type, data: Mapping[str, Any], where: str, skip: frozenset[str] = frozenset()) -> Any:
    fields = {f.name: f for f in dataclasses.fields(cls) if f.init}
    extra = set(data) - set(fields) - skip
    if extra:
        raise UnexpectedField(f"{where}: unexpected keys {sorted(extra)}")
    hints = typing.get_type_hints(cls)
    kwargs = {}
    for name, f in fields.items():
        if name in data:
            kwargs[name] = _decode(hints[name], data[name], f"{where}.{name}")
        elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            raise MissingField(f"{where}: missing field {name!r}")
    return cls(**kwargs)


def _field_doc(f: dataclasses.Field, hint: Any) -> str:
    optional = f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING
    text = f.name + ("?" if optional else "")
    args = typing.get_args(hint)
    if typing.get_origin(hint) is tuple and len(args) == 2 and dataclasses.is_dataclass(args[0]):
        text += ": [" + ", ".join(p.name for p in dataclasses.fields(args[0])) + "]"
    return text


class Message:
    """Base of every message dataclass. Not a dataclass itself, so a family may be frozen or not."""
    type: ClassVar[str]
    type_key: ClassVar[str] = "type"                  # the JSON key the type travels under
    derived_keys: ClassVar[frozenset[str]] = frozenset()  # added by to_dict, ignored by from_dict

    def to_dict(self) -> dict[str, Any]:
        return {self.type_key: self.type, **_plain(self)}

    @classmethod
    def from_dict(cls: builtins.type[M], data: Mapping[str, Any]) -> M:
        if not isinstance(data, Mapping):
            raise MessageError(f"{cls.__name__}: expected an object, got {type(data).__name__}")
        if data.get(cls.type_key) != cls.type:
            raise UnknownType(f"{cls.__name__}: {cls.type_key} is {data.get(cls.type_key)!r}, expected {cls.type!r}")
        body = {k: v for k, v in data.items() if k != cls.type_key}
        result: M = _build(cls, body, cls.type, cls.derived_keys)
        return result


class Family:
    """The registry of one family of messages: `@family.register` on each class, then
    `family.from_dict(d)` reads any of them."""

    def __init__(self, name: str, type_key: str = "type") -> None:
        self.name, self.type_key = name, type_key
        self.classes: dict[str, type[Message]] = {}

    def register(self, cls: type[M]) -> type[M]:
        if "type" not in cls.__dict__:
            raise TypeError(f"{cls.__name__} must declare its own `type` ({self.name} messages)")
        if cls.type_key != self.type_key:
            raise TypeError(f"{cls.__name__}: type_key {cls.type_key!r}, family {self.name} uses {self.type_key!r}")
        if cls.type in self.classes:
            raise TypeError(f"{self.name}: type {cls.type!r} used by {self.classes[cls.type].__name__} and {cls.__name__}")
        self.classes[cls.type] = cls
        return cls

    def __iter__(self) -> Iterator[type[Message]]:
        return iter(self.classes.values())

    def __contains__(self, type_name: object) -> bool:
        return type_name in self.classes

    def markdown(self) -> str:
        """The family as a Markdown table for the docs (a test keeps the docs' copy current):
        `name?` has a default, `name: [a, b]` is a list of parts with those fields."""
        rows = [f"| {self.type_key} | fields | what |", "|---|---|---|"]
        for name, cls in sorted(self.classes.items()):
            hints = typing.get_type_hints(cls)
            cells = [_field_doc(f, hints[f.name]) for f in dataclasses.fields(cls)]  # type: ignore[arg-type]
            doc = (cls.__doc__ or "").strip()
            what = "" if doc.startswith(f"{cls.__name__}(") else " ".join(doc.split("\n\n")[0].split())
            rows.append(f"| `{name}` | {', '.join(cells)} | {what.replace('|', chr(92) + '|')} |")
        return "\n".join(rows) + "\n"

    def from_dict(self, data: Mapping[str, Any]) -> Message:
        if not isinstance(data, Mapping):
            raise MessageError(f"{self.name} message: expected an object, got {type(data).__name__}")
        cls = self.classes.get(data.get(self.type_key))  # type: ignore[arg-type]
        if cls is None:
            raise UnknownType(f"unknown {self.name} message {self.type_key}: {data.get(self.type_key)!r}")
        return cls.from_dict(data)

