"""Numbers said as words become digits; words that only look like numbers stay as they were."""
import pytest

from identity.account_number import parse_account_no, parse_phone
from identity.id_number import parse as parse_id
from identity.spoken_numbers import normalize, positional_value, to_digits


@pytest.mark.parametrize("said, digits", [
    ("户号是幺二零幺九七四四零三", "户号是1201974403"),
    ("我的手机号是一三八 一二三四 五六七八", "我的手机号是13812345678"),
    ("三一零零，零零零，零零一", "3100000001"),
    ("幺三八幺二三四五六七八", "13812345678"),
    ("验证码是三五七九二四", "验证码是357924"),
    ("验证码 洞洞幺 二三四", "验证码 001234"),
    ("１３８００１３８０００", "13800138000"),
    ("138 1234 5678", "13812345678"),
    ("138-1234-5678", "13812345678"),
    ("3100,000,001", "3100000001"),
    ("13八00一三八000", "13800138000"),                     # mixed digits and words
    ("一一零一零一一九九零零一零一一二三叉", "11010119900101123X"),
    ("11010119900101123 X", "11010119900101123X"),
    ("11010119900101123x", "11010119900101123X"),
    ("两千五", "2500"),
    ("一百二十块", "120块"),
    ("一千二百块钱", "1200块钱"),
    ("三万零五百元", "30500元"),
    ("一万二", "12000"),
    ("十块", "10块"),
    ("八千瓦", "8千瓦"),                                     # 千瓦 is the unit, not 8000 瓦
    ("我要增容到二十千瓦", "我要增容到20千瓦"),
    ("一万千瓦", "10000千瓦"),
    ("我家两百度电", "我家200度电"),
    ("二零二四年五月八号", "2024年5月8号"),
    ("二〇二四年十二月三十一日", "2024年12月31日"),
    ("十五号", "15号"),
    ("我想问一下十二月的电费", "我想问一下12月的电费"),
    ("我今年七十二岁", "我今年72岁"),
    ("一块钱", "1块钱"),
    ("十一号来办", "11号来办"),
    ("十一点关门吗", "11点关门吗"),
])
def test_number_words_become_digits(said, digits):
    assert normalize(said).text == digits


@pytest.mark.parametrize("text", [
    "等一下", "一直停电", "一些问题", "万一停电了怎么办", "十分感谢", "千万别停电", "一起办", "一样的",
    "一共多少钱", "一个月", "一块儿去", "第一次来", "两三天", "三四个月", "五六百块", "十几个", "七七八八",
    "三三两两", "一五一十地说", "一一核对", "三点半", "百度一下", "一点点", "十", "一", "",
    "2024-05-08", "我有 3 个问题", "统一", "唯一", "一会儿", "两个人", "十一放假开门吗", "九九八十一",
])
def test_words_that_only_look_like_numbers_stay(text):
    assert normalize(text).text == text


@pytest.mark.parametrize("said, start, end, expected", [
    ("户号是幺二零幺九七四四零三", 3, 13, (3, 13)),            # same length: same span
    ("我的手机号是一三八 一二三四 五六七八", 6, 17, (6, 19)),   # the joined groups map back to all three
    ("交两千五百块", 1, 5, (1, 5)),
    ("交两千五百块", 5, 6, (5, 6)),                           # 块 after the rewritten number
])
def test_spans_map_back_to_what_was_said(said, start, end, expected):
    result = normalize(said)
    assert result.span_in_original(start, end) == expected


def test_text_after_a_shortened_number_keeps_its_place():
    result = normalize("两千五百块，户号幺二三四五六七八九零")
    assert result.text == "2500块，户号1234567890"
    start = result.text.index("1234567890")
    assert result.original[slice(*result.span_in_original(start, start + 10))] == "幺二三四五六七八九零"


@pytest.mark.parametrize("word, value", [
    ("十", 10), ("十五", 15), ("二十", 20), ("一百零五", 105), ("两千五", 2500), ("三百五", 350),
    ("一万二", 12000), ("十万", 100000), ("一亿", 100000000), ("五六百", None), ("一十百", None), ("千", None),
])
def test_positional_values(word, value):
    assert positional_value(word) == value


def test_identity_parsers_read_spoken_numbers():
    assert parse_account_no(to_digits("幺二零幺九七四四零三")) == "1201974403"
    assert parse_phone(to_digits("一三八 一二三四 五六七八")) == "13812345678"
    assert parse_id(to_digits("幺幺零幺零幺 幺九八五零三零七 幺二三五")).value == "110101198503071235"


def test_capacity_form_reads_a_spoken_capacity():
    from rasa_sdk.executor import CollectingDispatcher

    from actions.applications import ValidateCapacityForm
    assert ValidateCapacityForm().validate_capacity("增容到二十千瓦", CollectingDispatcher(), None, {}) == {"capacity": "20"}
