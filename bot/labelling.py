"""Offline labelling and the trainer's figures, from reviewed conversations (bot/conversations.py).

CSV export: the customers' messages the model was unsure of (a fallback, or a confidence under a
bound), masked as the trainer page shows them, one row each with an empty `correct_intent` column
for a labeller working in a spreadsheet. CSV import: every row with `correct_intent` filled goes
through bot/corrections.add_example, so the same refusals hold (a masked or private number, an
unknown intent, a text labelled otherwise elsewhere) and are reported per row, never half-applied
silently. UTF-8 with a byte-order mark, so Excel opens the Chinese text as written.

Analytics: per day and per intent, how many conversations fell back, were handed to staff, or were
contained (finished without staff), and the messages misunderstood most often (masked)."""
from __future__ import annotations

import csv
import time
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from bot import corrections
from bot.conversations import UNSURE_BELOW, Conversation, ReviewedMessage

COLUMNS = ["sender", "at", "text", "predicted_intent", "confidence", "correct_intent"]


def unsure(message: ReviewedMessage, below: float) -> bool:
    return message.fallback or message.confidence < below


def export_csv(conversations: Iterable[Conversation], path: Path, below: float = UNSURE_BELOW) -> int:
    """Write the unsure messages; the number of rows written."""
    rows = 0
    with path.open("w", encoding="utf-8-sig", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=COLUMNS)
        writer.writeheader()
        for conversation in conversations:
            for m in conversation.messages:
                if m.intent.startswith("EXTERNAL_") or not unsure(m, below):
                    continue
                writer.writerow({"sender": conversation.sender,
                                 "at": time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(m.at)),
                                 "text": m.text, "predicted_intent": m.intent, "confidence": f"{m.confidence:.2f}",
                                 "correct_intent": ""})
                rows += 1
    return rows


@dataclass
class Imported:
    added: list[corrections.Added] = field(default_factory=list)
    unchanged: int = 0                                       # already examples of that intent
    skipped: int = 0                                         # no correct_intent
    refused: list[tuple[int, str]] = field(default_factory=list)   # (CSV line, why)


def import_csv(root: Path, path: Path) -> Imported:
    result = Imported()
    with path.open(encoding="utf-8-sig", newline="") as source:
        reader = csv.DictReader(source)
        missing = {"text", "correct_intent"} - set(reader.fieldnames or [])
        if missing:
            raise corrections.CorrectionRefused(f"{path.name} has no column {', '.join(sorted(missing))}")
        for row in reader:
            intent = (row.get("correct_intent") or "").strip()
            if not intent:
                result.skipped += 1
                continue
            try:
                added = corrections.add_example(root, intent, row.get("text") or "")
            except corrections.CorrectionRefused as refused:
                result.refused.append((reader.line_num, str(refused)))
                continue
            if added.new:
                result.added.append(added)
            else:
                result.unchanged += 1
    return result


@dataclass(frozen=True)
class Rates:
    conversations: int
    fallback: int
    handoff: int

    @property
    def contained(self) -> int:
        """Finished without staff."""
        return self.conversations - self.handoff

    def share(self, count: int) -> float:
        return round(count / self.conversations, 3) if self.conversations else 0.0


@dataclass(frozen=True)
class Analytics:
    by_day: dict[str, Rates]
    by_intent: dict[str, Rates]                  # conversations with a message of that intent
    misunderstood: list[tuple[str, int]]         # (masked text, times), most frequent first


def analytics(conversations: Iterable[Conversation], below: float = UNSURE_BELOW, top: int = 20) -> Analytics:
    days: dict[str, list[Conversation]] = defaultdict(list)
    intents: dict[str, list[Conversation]] = defaultdict(list)
    missed: Counter[str] = Counter()
    for c in conversations:
        if not c.messages:
            continue
        days[time.strftime("%Y-%m-%d", time.localtime(c.started))].append(c)
        for intent in {m.intent for m in c.messages if m.intent and not m.intent.startswith("EXTERNAL_")}:
            intents[intent].append(c)
        missed.update(m.text for m in c.messages if not m.intent.startswith("EXTERNAL_") and unsure(m, below))

    def rates(found: list[Conversation]) -> Rates:
        return Rates(len(found), sum(c.fallback for c in found), sum(c.handoff for c in found))
    return Analytics({d: rates(v) for d, v in sorted(days.items())},
                     {i: rates(v) for i, v in sorted(intents.items(), key=lambda kv: -len(kv[1]))},
                     missed.most_common(top))


def format_analytics(figures: Analytics) -> str:
    def table(title: str, rows: dict[str, Rates]) -> list[str]:
        lines = [f"{title:24} {'conversations':>13} {'fallback':>9} {'handoff':>8} {'contained':>10}"]
        for key, r in rows.items():
            lines.append(f"{key:24} {r.conversations:13d} {r.share(r.fallback):9.1%} {r.share(r.handoff):8.1%} "
                         f"{r.share(r.contained):10.1%}")
        return lines
    lines = table("day", figures.by_day) + [""] + table("intent", figures.by_intent) + ["", "misunderstood most often:"]
    lines += [f"  {times:4d}  {text}" for text, times in figures.misunderstood] or ["  (none)"]
    return "\n".join(lines)
