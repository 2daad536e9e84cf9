"""Clean-up of Whisper's Chinese output: Simplified characters, known hallucinations on
silence/noise, repetition loops, and spoken digits (account numbers, phones) as Arabic digits."""
from __future__ import annotations

import re
from functools import lru_cache

# Phrases Whisper invents on silence or noise (learned from subtitled video); matched after
# removing spaces/punctuation. A transcript made only of these is dropped.
HALLUCINATION_PATTERNS = [
    r"请不吝点赞订阅转发打赏支持明镜与点点栏目",
    r"(请|欢迎)?(不吝)?(点赞|订阅|转发|打赏|关注|支持)+.{0,12}(频道|栏目|节目)?",
    r"(中文)?字幕(由|制作|提供|志愿者|组|翻译|校对|by|：|:).{0,20}",
    r"(中文)?字幕[\w]{0,10}",
    r"(谢谢|感谢)(大家|各位)?(收看|观看|收听|观赏)",
    r"(我们)?下(期|集|次)(节目)?再见",
    r"明镜(与|和)点点栏目",
    r"本(视频|节目)由.{0,20}",
    r"以下是普通话的句子",
    r"(amara|Amara)\.org.{0,30}",
]
_HALLU_RE = [re.compile(rf"^(?:{p})$", re.IGNORECASE) for p in HALLUCINATION_PATTERNS]
_PUNCT = re.compile(r"[\s，。！？、；：,.!?;:…“”\"'‘’（）()《》【】\-—~·]+")

CN_DIGITS = {"零": "0", "〇": "0", "○": "0", "一": "1", "幺": "1", "二": "2", "两": "2", "三": "3",
             "四": "4", "五": "5", "六": "6", "七": "7", "八": "8", "九": "9"}
_DIGIT_RUN = re.compile(r"[零〇○一幺二两三四五六七八九0-9][零〇○一幺二两三四五六七八九0-9\s,，、-]{2,}[零〇○一幺二两三四五六七八九0-9]")


@lru_cache(maxsize=1)
def _t2s():
    import opencc

    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    return _t2s().convert(text)


def is_hallucination(text: str) -> bool:
    core = _PUNCT.sub("", text)
    if not core:
        return True
    return any(r.match(core) for r in _HALLU_RE)


def drop_hallucinated_sentences(text: str) -> str:
    """Remove hallucinated sentences, keep the rest (they may follow real speech)."""
    parts = re.split(r"(?<=[。！？!?])", text)
    kept = [p for p in parts if p.strip() and not is_hallucination(p)]
    return "".join(kept).strip()


def cut_repetitions(text: str, max_repeats: int = 2) -> str:
    """Cut loops like '好的好的好的好的...' or a sentence repeated many times: any unit of 1-20
    characters repeated more than `max_repeats` times in a row is kept `max_repeats` times."""
    for size in range(1, 21):
        pattern = re.compile(rf"(.{{{size}}}?)\1{{{max_repeats},}}")
        text = pattern.sub(lambda m: m.group(1) * max_repeats, text)
    return text


_YAO_AS_YAO = re.compile(r"(?<=[号是码为：:])要(?=[0-9零〇○一幺二两三四五六七八九]{4,})")


def normalise_digits(text: str) -> str:
    """Runs of >= 4 spoken digits become Arabic digits ('三二零一幺二' -> '320112'); digit runs
    with stray spaces/commas inside (as Whisper writes long numbers) are joined."""
    def repl(m: re.Match) -> str:
        chunk = m.group(0)
        digits = "".join(CN_DIGITS.get(ch, ch) for ch in chunk if ch in CN_DIGITS or ch.isdigit())
        return digits if len(digits) >= 4 else chunk

    text = _YAO_AS_YAO.sub("1", text)  # 幺 (spoken 1) heard as 要 right before a number
    return _DIGIT_RUN.sub(repl, text)


def has_loop(text: str, min_repeats: int = 4) -> bool:
    """A unit repeated >= min_repeats times in a row covering most of the text: Whisper's
    decoding loop on noise, not speech."""
    core = _PUNCT.sub("", text)
    for size in range(1, 11):
        m = re.search(rf"(.{{{size}}}?)\1{{{min_repeats - 1},}}", core)
        if m and len(m.group(0)) >= 0.6 * len(core):
            return True
    return False


_CJK_PUNCT = {",": "，", "?": "？", "!": "！", ";": "；", ":": "："}


def cjk_punctuation(text: str) -> str:
    """ASCII punctuation next to Chinese characters -> full-width (Whisper mixes them)."""
    text = re.sub(r"(?<=[\u4e00-\u9fff])\s*([,?!;:])\s*", lambda m: _CJK_PUNCT[m.group(1)], text)
    return re.sub(r"\s*([,?!;:])\s*(?=[\u4e00-\u9fff])", lambda m: _CJK_PUNCT[m.group(1)], text)


def clean_transcript(text: str) -> str:
    text = to_simplified(text.strip())
    if has_loop(text):
        return ""
    text = cjk_punctuation(cut_repetitions(text))
    text = drop_hallucinated_sentences(text)
    text = normalise_digits(text)
    return text.strip()
