"""A reviewed conversation as a conversation test (tests/e2e/) or a training story (stories/), in one step.

Why: a trainer who found a conversation that went wrong (or right) wants it kept as a check every
later model must pass, without retyping it, and without copying a customer's private data into git.

What is written, from the tracker store's events:
- the customer's turns with their text and intent (a sensor event, EXTERNAL_*, as its intent only);
  a trainer's relabel (`relabel={turn: intent}`) replaces the predicted intent, and a turn the model
  was unsure of carries a comment saying so, to be checked before the story is kept;
- entity spans annotated in the text ([value](entity)), so the test checks extraction too;
- the robot's actions, forms (active_loop) and the slots that steer the dialogue (the domain's
  influence_conversation slots and requested_slot): test stories do not run custom actions, so
  what they set is written out. Other slots change no prediction and are left out, with their values.

Private data: every number of an ID-number, phone, account-number or SMS-code shape, in an entity or
not, is replaced by a stand-in of the same shape that still validates (an ID number with a right
check character), the same number by the same stand-in throughout the story; free-text spans that
may name a person or a place (address, reason, a new holder's name) become fixed stand-ins; the
customer's name, where the conversation learnt it, is replaced in the text. The result is a git
change the trainer reviews like any other (`git diff`), never a hidden store."""
from __future__ import annotations

import json
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.conversations import FALLBACK_INTENT, UNSURE_BELOW
from identity.id_number import check_char
from identity.masking import sub_numbers
from identity.spoken_numbers import to_digits

TEST_STORIES = Path("tests/e2e/test_reviewed_stories.yml")
TRAINING_STORIES = Path("stories/reviewed.yml")
SKIPPED_ACTIONS = {"action_listen", "action_session_start", "action_extract_slots", "action_unlikely_intent"}
NUMBER_ENTITIES = {"account_no", "id_number", "phone", "sms_code", "identity_key", "callback_phone"}
FREE_TEXT_STAND_INS = {"address": "幸福路8号3栋201", "reason": "家里没电了", "new_holder_name": "张三"}
NAME_STAND_IN = "王先生"
HEADER = ('version: "3.1"\n\n'
          "# Conversations kept by trainers (`hallbot story`, the console's trainer page),\n"
          "# private data replaced by stand-ins (bot/story_export.py). Reviewed in git like any other data.\n"
          "stories:\n")


class StoryRefused(ValueError):
    """The conversation cannot become a story; the message says why, in words a trainer acts on."""


@dataclass
class StandIns:
    """The same private value -> the same stand-in within one story; shapes kept, checks valid."""
    seen: dict[str, str] = field(default_factory=dict)

    def number(self, value: str) -> str:
        if value not in self.seen:
            n = len(self.seen) + 1
            self.seen[value] = self._make(value, n)
        return self.seen[value]

    @staticmethod
    def _make(value: str, n: int) -> str:
        if len(value) == 18:                                   # resident ID number
            first17 = f"11010119800101{100 + n:03d}"
            return first17 + check_char(first17)
        if len(value) == 11 and value.startswith("1"):         # mobile phone
            return f"138{n:08d}"
        if len(value) == 10:                                    # electricity account number
            return f"3199{n:06d}"
        if len(value) == 6:                                     # SMS code
            return f"{123450 + n}"
        return f"{n}".rjust(len(value), "9")


def _digits(value: object) -> str:
    return re.sub(r"[^\dX]", "", to_digits(str(value)).upper()) or str(value)


def _pseudonymise_text(text: str, stand_ins: StandIns, names: Iterable[str]) -> str:
    """Numbers said in words are read as digits first, so they are replaced like typed ones."""
    spoken = to_digits(text)
    if sub_numbers(spoken, lambda number: "") != spoken:
        text = spoken
    text = sub_numbers(text, lambda number: stand_ins.number(number.upper()))
    for name in names:
        text = text.replace(name, NAME_STAND_IN)
    return text


def _annotated(text: str, entities: list[dict[str, Any]], stand_ins: StandIns, names: list[str]) -> str:
    """The customer's text with private data replaced and its entity spans annotated."""
    spans = sorted((e for e in entities if isinstance(e.get("start"), int) and isinstance(e.get("end"), int)
                    and 0 <= e["start"] < e["end"] <= len(text)), key=lambda e: e["start"])
    out, at = [], 0
    for e in spans:
        start, end, entity = e["start"], e["end"], str(e.get("entity"))
        if start < at:
            continue                                            # overlapping span: its text stays plain
        out.append(_pseudonymise_text(text[at:start], stand_ins, names))
        value = str(e.get("value", text[start:end]))
        if entity in NUMBER_ENTITIES:
            span = shown = stand_ins.number(_digits(value))
        elif entity in FREE_TEXT_STAND_INS:
            span = shown = FREE_TEXT_STAND_INS[entity]
        else:
            span, shown = _pseudonymise_text(text[start:end], stand_ins, names), value
        if span == shown:
            out.append(f"[{span}]({entity})")
        else:
            out.append(f"[{span}]{json.dumps({'entity': entity, 'value': shown}, ensure_ascii=False)}")
        at = end
    out.append(_pseudonymise_text(text[at:], stand_ins, names))
    return "".join(out)


def steering_slots(domain: dict[str, Any]) -> set[str]:
    """Slots whose value changes the dialogue's predictions (Rasa featurizes only these)."""
    slots = domain.get("slots") or {}
    return {name for name, spec in slots.items()
            if (spec or {}).get("influence_conversation", True) and (spec or {}).get("type") != "any"} | {"requested_slot"}


@dataclass(frozen=True)
class Story:
    name: str
    steps: tuple[str, ...]      # YAML lines of the steps, indented for a story under `stories:`
    unsure: int                 # turns flagged for the trainer to check

    def yaml(self) -> str:
        return f"  - story: {json.dumps(self.name, ensure_ascii=False)}\n    steps:\n" + "".join(self.steps)


def _customer_names(events: list[dict[str, Any]]) -> list[str]:
    names = {str(e.get("value")) for e in events
             if e.get("event") == "slot" and e.get("name") in ("customer_name", "new_holder_name") and e.get("value")}
    # "周女士" is also said as "周": the full names first, then what they start with
    return sorted(names, key=len, reverse=True)


def build(sender: str, events: Iterable[dict[str, Any]], domain: dict[str, Any], kind: str = "test",
          relabel: dict[int, str] | None = None, name: str | None = None) -> Story:
    """The story of one tracker's events. kind "test": user text + intents (tests/e2e); "training":
    intents only (stories/). `relabel` maps a customer turn (1 = the first) to its right intent."""
    if kind not in ("test", "training"):
        raise StoryRefused(f"kind must be test or training, not {kind!r}")
    events = list(events)
    relabel = dict(relabel or {})
    keep_slots, stand_ins, names = steering_slots(domain), StandIns(), _customer_names(events)
    steps: list[str] = []
    pending_slots: list[tuple[str, object]] = []
    turn = unsure = 0

    def flush_slots() -> None:
        if pending_slots:
            steps.append("      - slot_was_set:\n" + "".join(
                f"          - {slot}: {json.dumps(value, ensure_ascii=False)}\n" for slot, value in pending_slots))
            pending_slots.clear()

    for event in events:
        kind_of = event.get("event")
        if kind_of == "user":
            flush_slots()
            parse = event.get("parse_data") or {}
            intent = str((parse.get("intent") or {}).get("name") or "")
            confidence = float((parse.get("intent") or {}).get("confidence") or 0.0)
            turn += 1                                  # numbered as bot.conversations.review lists them
            right = relabel.pop(turn, None)
            if not (right or intent):
                continue
            text = str(event.get("text") or "")
            if intent.startswith("EXTERNAL_") or text.startswith("EXTERNAL:") or text.startswith("/"):
                steps.append(f"      - intent: {right or intent}\n")   # a sensor's or the app's event: no text
                continue
            flag = ""
            if right is None and (intent == FALLBACK_INTENT or confidence < UNSURE_BELOW):
                unsure += 1
                flag = f"        # predicted {intent} ({confidence:.2f}): check the intent before keeping this story\n"
            entities = [e for e in parse.get("entities") or [] if isinstance(e, dict) and e.get("entity")]
            if kind == "test":
                said = _annotated(text, entities, stand_ins, names)
                steps.append(f"      - user: {json.dumps(said, ensure_ascii=False)}\n{flag}        intent: {right or intent}\n")
            else:
                steps.append(f"      - intent: {right or intent}\n{flag}")
        elif kind_of == "action":
            action = str(event.get("name") or "")
            if action and action not in SKIPPED_ACTIONS:
                flush_slots()
                steps.append(f"      - action: {action}\n")
        elif kind_of == "slot" and event.get("name") in keep_slots:
            pending_slots.append((str(event["name"]), event.get("value")))
        elif kind_of == "active_loop":
            flush_slots()
            loop = event.get("name")
            steps.append(f"      - active_loop: {loop if loop else 'null'}\n")
    flush_slots()
    if relabel:
        raise StoryRefused(f"no customer turn {', '.join(map(str, sorted(relabel)))} in this conversation ({turn} turns)")
    if turn == 0:
        raise StoryRefused("the conversation has no customer turn")
    title = name or f"reviewed {sender[:24]} {time.strftime('%Y-%m-%d %H:%M', time.localtime(_first_time(events)))}"
    return Story(title, tuple(steps), unsure)


def _first_time(events: list[dict[str, Any]]) -> float:
    return next((float(e["timestamp"]) for e in events if e.get("event") == "user" and e.get("timestamp")), 0.0)


@dataclass(frozen=True)
class Saved:
    path: Path
    name: str
    unsure: int


def save(root: Path, story: Story, kind: str = "test") -> Saved:
    """Append the story to its file (created with a header), under a name not used there yet."""
    path = root / (TEST_STORIES if kind == "test" else TRAINING_STORIES)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = path.read_text(encoding="utf-8") if path.exists() else HEADER
    taken = {s.get("story") for s in (yaml.safe_load(text) or {}).get("stories") or []}
    name, n = story.name, 1
    while name in taken:
        n += 1
        name = f"{story.name} ({n})"
    story = Story(name, story.steps, story.unsure)
    if not text.endswith("\n"):
        text += "\n"
    text += ("\n" if text != HEADER else "") + story.yaml()
    yaml.safe_load(text)                                        # never write a file Rasa cannot read
    tmp = path.with_suffix(".yml.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
    return Saved(path, name, story.unsure)


def keep(root: Path, sender: str, events: list[dict[str, Any]], kind: str = "test",
         relabel: dict[int, str] | None = None, name: str | None = None) -> Saved:
    """build + save, with the project's domain (which slots steer the dialogue)."""
    if not events:
        raise StoryRefused(f"no conversation {sender!r} in the tracker store")
    domain = yaml.safe_load((root / "domain.yml").read_text(encoding="utf-8")) or {}
    return save(root, build(sender, events, domain, kind, relabel, name), kind)
