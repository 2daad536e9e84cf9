import pytest

from voice.asr_text import clean_transcript, cut_repetitions, has_loop, is_hallucination, normalise_digits


@pytest.mark.parametrize("text", [
    "请不吝点赞 订阅 转发 打赏支持明镜与点点栏目",
    "字幕由Amara.org社区提供",
    "中文字幕志愿者 李宗盛",
    "谢谢大家收看！",
    "谢谢观看",
    "",
    "。",
])
def test_known_silence_hallucinations_are_dropped(text):
    assert is_hallucination(text)
    assert clean_transcript(text) == ""


def test_real_requests_are_not_hallucinations():
    for text in ("我要交电费", "谢谢", "字", "请帮我订阅电费账单短信"):
        assert not is_hallucination(text), text


def test_hallucination_after_real_speech_is_cut_not_the_speech():
    assert clean_transcript("我要办理过户。请不吝点赞订阅转发打赏支持明镜与点点栏目。") == "我要办理过户。"


def test_traditional_becomes_simplified():
    assert clean_transcript("請問電費帳單怎麼查") == "请问电费帐单怎么查"


def test_repetition_loops():
    assert cut_repetitions("我要我要我要我要我要交电费") == "我要我要交电费"
    assert has_loop("电价 电价 电价 电价 电价")
    assert clean_transcript("电价 电价 电价 电价 电价 电价") == ""
    assert not has_loop("我的户号是3201234567")


def test_spoken_digits_become_account_numbers():
    assert normalise_digits("户号是三二零幺二三四五六七") == "户号是3201234567"
    assert normalise_digits("手机 138 1234 5678") == "手机 13812345678"
    assert normalise_digits("一二三") == "一二三"  # too short to be a number
    assert normalise_digits("手机号是要3912345678") == "手机号是13912345678"  # 幺 heard as 要
    assert normalise_digits("我要1000元") == "我要1000元"
    assert clean_transcript("我的户号是三二零一,二三四五六七。") == "我的户号是3201234567。"
