"""The hall-text normaliser (voice/tts/normalize.py): what the voice says for the numbers, codes
and letters a hall reply holds. Pure functions: no models."""
from voice.tts.normalize import normalize_zh, spell_latin


def test_account_number_digit_by_digit():
    assert normalize_zh("您的户号是3100000001。") == "您的户号是三幺零零零零零零零幺。"


def test_amount_in_yuan_and_jiao():
    assert normalize_zh("本月电费286.50元") == "本月电费二百八十六元五角"


def test_iso_date():
    assert normalize_zh("截止日期2026-12-04") == "截止日期二零二六年十二月四日"


def test_month_day():
    assert normalize_zh("请在12月4日前缴费") == "请在十二月四日前缴费"


def test_time_of_day():
    assert normalize_zh("营业厅14:30开门，17:05关门") == "营业厅十四点三十分开门，十七点零五分关门"


def test_phone_number_digit_by_digit():
    assert normalize_zh("客服电话95598，手机13912345678") == "客服电话九五五九八，手机幺三九幺二三四五六七八"


def test_latin_letters_spelled():
    assert spell_latin("APP") == "诶批批"
    assert normalize_zh("请打开APP，连接WiFi") == "请打开诶批批，连接无线网"


def test_queue_code_letters_then_digits():
    assert normalize_zh("请到B12号窗口") == "请到比幺二号窗口"


def test_normalised_text_has_no_digits_or_latin_left():
    spoken = normalize_zh("户号3201234567于2026-12-04 09:15缴费¥1,286.05，尾号0427，凭证TX9")
    assert not any(c.isascii() and c.isalnum() for c in spoken), spoken
