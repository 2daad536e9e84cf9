"""What customers and staff read must be Chinese prose: no intent names, payload or business-type
codes, sensor event names or slash commands (a demo once said "马上过来为您办理consult", and staff read
"EXTERNAL: EXTERNAL_face_recognized"). Conversations record every reply (tests/hall.py); the
dialogue tests' conftest checks each test's replies with `internal_names`."""
from __future__ import annotations

import re

# Latin words a customer does see: the app's name and units.
ALLOWED_WORDS = frozenset({"App", "kVA", "kW", "kWh"})
_PATTERNS = (
    re.compile(r"EXTERNAL\w*"),                          # sensor events
    re.compile(r"(?<![\w.:/])/[A-Za-z_][\w{}\":,]*"),    # button payloads: /request_human{"a":"b"}
    re.compile(r"[A-Za-z0-9]*_[A-Za-z_]\w*"),            # snake_case names: utter_x, query_bill
    re.compile(r"(?<![A-Za-z])[A-Za-z]{2,}(?![A-Za-z])"),  # any other Latin word (consult, pay_bill parts)
)


def internal_names(text: str) -> list[str]:
    """The codes in `text` a person should not read (empty when it is plain Chinese)."""
    found: list[str] = []
    for pattern in _PATTERNS:
        found += [m for m in pattern.findall(text or "") if m not in ALLOWED_WORDS]
    return found


def readable_texts(messages: list[dict]) -> list[str]:
    """Everything of a Rasa reply that reaches a person: texts, button titles, and the transcript a
    handoff shows staff."""
    texts: list[str] = []
    for m in messages:
        texts.append(m.get("text") or "")
        texts += [b.get("title") or "" for b in m.get("buttons") or []]
        custom = m.get("custom") or {}
        if custom.get("type") == "handoff":
            texts += [line.get("text") or "" for line in custom.get("transcript") or []]
    return texts


def leaks(messages: list[dict]) -> list[tuple[str, str]]:
    """(code, the text it is in) for each internal name in these messages."""
    return [(name, text) for text in readable_texts(messages) for name in internal_names(text)]
