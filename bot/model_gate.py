"""Before/after on the held-out split: may a new model replace the one in service?

Why: a retrain after a correction can fix one intent and quietly break two others. Both models
are scored on tests/nlu_heldout/heldout.yml (bot/nlu_eval.py); a drop in accuracy or macro F1
beyond `max_drop` (HALLBOT_MODEL_MAX_DROP) blocks the switch until the trainer forces it. The
report lists every intent whose F1 moved, worst first, as text (stored beside the version) and
as an SVG bar chart. Pure functions: no files, no Rasa."""
from __future__ import annotations

from dataclasses import dataclass
from html import escape

from bot.model_versions import HeldOutScores


@dataclass(frozen=True)
class IntentChange:
    intent: str
    before: float | None       # None: the intent is new (not in the old held-out scores)
    after: float | None        # None: no longer in the held-out set

    @property
    def delta(self) -> float:
        return (self.after or 0.0) - (self.before or 0.0)


@dataclass(frozen=True)
class Verdict:
    before: HeldOutScores | None
    after: HeldOutScores
    max_drop: float
    intents: tuple[IntentChange, ...]
    reasons: tuple[str, ...]         # why the switch is blocked; empty = it may go ahead

    @property
    def blocked(self) -> bool:
        return bool(self.reasons)


def judge(before: HeldOutScores | None, after: HeldOutScores, max_drop: float) -> Verdict:
    """Nothing in service yet (before is None): the new model goes in."""
    reasons: list[str] = []
    if before is not None:
        for label, old, new in (("accuracy", before.accuracy, after.accuracy),
                                ("macro F1", before.macro_f1, after.macro_f1)):
            if old - new > max_drop + 1e-9:
                reasons.append(f"held-out {label} drops {old:.3f} -> {new:.3f} (more than {max_drop:.3f})")
    old_f1 = before.per_intent_f1 if before else {}
    names = sorted(set(old_f1) | set(after.per_intent_f1))
    changes = [IntentChange(n, old_f1.get(n) if before else None, after.per_intent_f1.get(n)) for n in names]
    changes.sort(key=lambda c: (c.delta, c.intent))
    return Verdict(before, after, max_drop, tuple(changes), tuple(reasons))


def _cell(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def render_text(verdict: Verdict, before_name: str | None, after_name: str) -> str:
    b, a = verdict.before, verdict.after
    lines = [f"held-out before/after: {before_name or '(none in service)'} -> {after_name}",
             f"{'':24} {'before':>8} {'after':>8} {'change':>8}"]
    for label, old, new in (("accuracy", b.accuracy if b else None, a.accuracy),
                            ("macro F1", b.macro_f1 if b else None, a.macro_f1)):
        lines.append(f"{label:24} {_cell(old):>8} {_cell(new):>8} {_signed(old, new):>8}")
    moved = [c for c in verdict.intents if b is None or abs(c.delta) >= 0.0005]
    lines.append(f"per intent F1 ({len(moved)} of {len(verdict.intents)} changed, worst first):" if b
                 else f"per intent F1 ({len(verdict.intents)} intents):")
    for change in moved:
        lines.append(f"  {change.intent:22} {_cell(change.before):>8} {_cell(change.after):>8} "
                     f"{_signed(change.before, change.after):>8}")
    if verdict.blocked:
        lines += ["BLOCKED: " + reason for reason in verdict.reasons]
    else:
        lines.append(f"passes: no drop beyond {verdict.max_drop:.3f}")
    return "\n".join(lines)


def _signed(old: float | None, new: float | None) -> str:
    if old is None or new is None:
        return ""
    return f"{new - old:+.3f}"


def render_svg(verdict: Verdict, before_name: str | None, after_name: str) -> str:
    """Per-intent F1 bars, before (grey) and after (blue), one row per intent."""
    row, left, width = 18, 190, 300
    rows = list(verdict.intents)
    height = 40 + row * len(rows)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{left + width + 70}" height="{height}" '
             'font-family="sans-serif" font-size="11">',
             f'<text x="4" y="14">held-out F1 per intent: {escape(before_name or "none")} (grey) -&gt; '
             f'{escape(after_name)} (blue)</text>']
    for i, change in enumerate(rows):
        y = 26 + i * row
        parts.append(f'<text x="4" y="{y + 11}">{escape(change.intent)}</text>')
        if change.before is not None:
            parts.append(f'<rect x="{left}" y="{y}" width="{change.before * width:.1f}" height="6" fill="#999"/>')
        if change.after is not None:
            parts.append(f'<rect x="{left}" y="{y + 7}" width="{change.after * width:.1f}" height="6" fill="#36c"/>')
        parts.append(f'<text x="{left + width + 6}" y="{y + 11}">{_signed(change.before, change.after)}</text>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"
