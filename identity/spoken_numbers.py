"""Numbers said as words ("幺二零幺九七四四零三", "一三八 一二三四 五六七八", "两千五") turned into digits.

Customers read account numbers, ID numbers, phones and SMS codes digit by digit, and amounts,
capacities and dates with 十/百/千/万. The NLU (rasa_addons/spoken_number_normalizer.py) and the
form validation (actions/) both need the same reading, so it lives here, stdlib only: Rasa's venv
(Python 3.10) imports it too. cn2an was considered: it is in neither venv (and we may not install into
Rasa's), and its "smart" mode turns 一下/一些/万一 into numbers, which is exactly what we must not do.

`normalize(text)` returns the rewritten text plus a map back to the original characters, so an
entity found in the rewritten text can be reported at its span in what the customer said."""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

DIGIT_WORDS = {"零": 0, "〇": 0, "○": 0, "洞": 0, "一": 1, "幺": 1, "二": 2, "两": 2, "三": 3, "四": 4,
               "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
UNITS = {"十": 10, "百": 100, "千": 1000, "万": 10_000, "亿": 100_000_000}
_FULL_WIDTH = str.maketrans("０１２３４５６７８９ｘＸ", "0123456789xX")
# 千瓦 is a unit (八千瓦 = 8 kW), so 千 before 瓦 ends the run.
_RUN = re.compile("(?:[" + "".join(DIGIT_WORDS) + "十百万亿]|千(?!瓦))+")
# A short digit-word run (1-2 words, no 十百千) is a number only before these; 一下/一些/三四个 stay words.
_SUFFIX = re.compile(r"(?:月|号|日|年|元|块钱|块(?!儿)|毛|角|度|千瓦|[kK][wW]|位|岁)")
# Readings that look like numbers but are words; their runs stay untouched.
IDIOMS = ("七七八八", "三三两两", "一五一十", "一一", "万一", "千万", "十分", "百分", "万万")
_SEPARATORS = " \u3000,，-－—、"
_GROUPS = re.compile(r"[0-9]+(?:[ \u3000,，\-－—、][0-9]+)+[Xx]?")


@dataclass(frozen=True)
class Normalized:
    original: str
    text: str
    origins: tuple[tuple[int, int], ...]   # text[i] was made from original[origins[i][0]:origins[i][1]]

    def span_in_original(self, start: int, end: int) -> tuple[int, int]:
        """The span of `original` that text[start:end] was made from."""
        if not self.origins or start >= end:
            return start, end
        return self.origins[min(start, len(self.origins) - 1)][0], self.origins[min(end, len(self.origins)) - 1][1]


def positional_value(word: str) -> int | None:
    """一百二十 -> 120, 两千五 -> 2500, 十五 -> 15, 三万零五百 -> 30500; None if it is not one number."""
    total, section, digit, last_unit = 0, 0, None, None
    for ch in word:
        if ch in DIGIT_WORDS:
            if digit is not None and DIGIT_WORDS[ch] != 0 and digit != 0:
                return None                      # 五六百: a range, not a number
            digit = DIGIT_WORDS[ch]
            continue
        unit = UNITS[ch]
        if unit >= 10_000:
            section += digit or 0
            if section == 0:
                return None
            total += section * unit
            section, digit, last_unit = 0, None, unit
            continue
        if digit is None:
            if unit != 10 or section or total:   # 百/千 need a digit before them; 十 may stand alone
                return None
            digit = 1
        if last_unit is not None and last_unit <= unit and last_unit < 10_000:
            return None                          # 一十百: units must fall
        section += digit * unit
        digit, last_unit = None, unit
    if digit:
        # 两千五 / 一万二: a trailing digit counts in the next unit down
        section += digit * (last_unit // 10 if last_unit and last_unit >= 100 and word[-2] not in "零〇" else 1)
    return total + section


def _convert_run(text: str, start: int, end: int) -> str | None:
    """The digits for text[start:end] (a maximal run of number words), or None to leave it."""
    word = text[start:end]
    if _in_idiom(text, start, end):
        return None
    before = text[start - 1] if start else ""
    after = text[end:end + 2]
    next_to_digits = before.isdigit() or after[:1].isdigit()
    if not any(ch in UNITS for ch in word):
        if len(word) >= 3 or next_to_digits or _SUFFIX.match(text, end) or _grouped(text, start, end):
            return "".join(str(DIGIT_WORDS[ch]) for ch in word)
        return None
    if word[0] in UNITS and word[0] != "十":
        return None                              # 万一, 千万, 百分之
    if word == "十" and not _SUFFIX.match(text, end):
        return None                              # 十分, 十几: a bare 十 is a number only as 十号/十块
    if word == "十一" and not (_SUFFIX.match(text, end) or text.startswith("点", end)):
        return None                              # 十一放假吗: the October holiday, unless 十一号/十一点
    value = positional_value(word)
    return None if value is None else str(value)


def _in_idiom(text: str, start: int, end: int) -> bool:
    for idiom in IDIOMS:
        for found in re.finditer(re.escape(idiom), text[max(0, start - len(idiom)):end + len(idiom)]):
            at = max(0, start - len(idiom)) + found.start()
            if at <= start and end <= at + len(idiom):
                return True
    return False


def _grouped(text: str, start: int, end: int) -> bool:
    """A short run that is one group of a longer number read in groups (幺三八 幺二 三四...)."""
    for direction, edge in ((-1, start - 1), (1, end)):
        if 0 <= edge < len(text) and text[edge] in _SEPARATORS:
            beyond = edge + direction
            if 0 <= beyond < len(text) and (text[beyond] in DIGIT_WORDS or text[beyond].isdigit()):
                return True
    return False


def _rewrite(text: str, origins: list[tuple[int, int]], pattern: re.Pattern[str],
             replace: Callable[[str, re.Match[str]], str | None]) -> tuple[str, list[tuple[int, int]]]:
    out: list[str] = []
    new_origins: list[tuple[int, int]] = []
    pos = 0
    for match in pattern.finditer(text):
        new = replace(text, match)
        if new is None or new == match.group():
            continue
        out.append(text[pos:match.start()])
        new_origins.extend(origins[pos:match.start()])
        source = (origins[match.start()][0], origins[match.end() - 1][1])
        out.append(new)
        new_origins.extend([source] * len(new))
        pos = match.end()
    out.append(text[pos:])
    new_origins.extend(origins[pos:])
    return "".join(out), new_origins


def _join_groups(text: str, match: re.Match[str]) -> str | None:
    groups = re.split(r"[ \u3000,，\-－—、]", match.group())
    commas = set(re.findall(r"[ \u3000,，\-－—、]", match.group())) <= {",", "，"}
    thousands = commas and all(len(g) == 3 for g in groups[1:])
    if all(len(g.rstrip("Xx")) >= 3 for g in groups) or thousands:
        return "".join(groups)
    return None                                  # 2024-05-08, 3 4 5: not one number


_ID_CHECK = re.compile(r"(?<![0-9])([1-9][0-9]{16})[ \u3000\-]?(?:叉|[xX]|艾克斯)(?![0-9A-Za-z])")


def _convert_match(text: str, match: re.Match[str]) -> str | None:
    return _convert_run(text, match.start(), match.end())


def _id_check_char(text: str, match: re.Match[str]) -> str:
    return match.group(1) + "X"


def normalize(text: str) -> Normalized:
    """Number words and full-width digits become ASCII digits; grouped digits are joined; 叉/x after
    17 digits becomes X. Everything else is kept as it was."""
    step = text.translate(_FULL_WIDTH)          # same length: one to one
    origins = [(i, i + 1) for i in range(len(text))]
    for pattern, replace in ((_RUN, _convert_match), (_GROUPS, _join_groups), (_ID_CHECK, _id_check_char)):
        step, origins = _rewrite(step, origins, pattern, replace)
    return Normalized(text, step, tuple(origins))


def to_digits(text: str) -> str:
    """Just the normalised text (for form validation, which then strips separators itself)."""
    return normalize(text).text
