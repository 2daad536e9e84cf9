"""Trainers' corrections land in nlu_data/corrections.yml as valid Rasa NLU YAML, without private data."""
from __future__ import annotations

import shutil

import pytest

from bot import nlu_eval
from bot.corrections import CORRECTIONS, CorrectionRefused, add_example
from hallbot.settings import ROOT


@pytest.fixture
def root(tmp_path):
    shutil.copy(ROOT / "domain.yml", tmp_path / "domain.yml")
    shutil.copytree(ROOT / "nlu_data", tmp_path / "nlu_data")
    (tmp_path / "nlu_data" / CORRECTIONS.name).unlink(missing_ok=True)   # the checkout's own corrections, if any
    return tmp_path


def test_an_example_is_added_once_in_rasa_format(root):
    first = add_example(root, "request_human", "我要找个真人  聊聊")
    assert first.new and first.text == "我要找个真人 聊聊"
    assert not add_example(root, "request_human", "我要找个真人 聊聊").new
    add_example(root, "greet", "老师傅好")
    examples = nlu_eval.load_examples(root / CORRECTIONS)      # the loader of Rasa's NLU YAML format
    assert [(e.intent, e.text) for e in examples] == [("greet", "老师傅好"), ("request_human", "我要找个真人 聊聊")]
    assert (root / CORRECTIONS).read_text(encoding="utf-8").startswith('version: "3.1"')


def test_relabelling_moves_the_example(root):
    add_example(root, "greet", "在么在么")
    add_example(root, "request_human", "在么在么")
    assert [(e.intent, e.text) for e in nlu_eval.load_examples(root / CORRECTIONS)] == [("request_human", "在么在么")]


def test_an_example_of_another_intent_elsewhere_is_refused_with_its_file(root):
    with pytest.raises(CorrectionRefused, match=r"an example of greet in nlu_data/intents_core.yml"):
        add_example(root, "goodbye", "你好")
    assert not add_example(root, "greet", "你好").new       # already there: nothing written
    assert not (root / CORRECTIONS).exists()


@pytest.mark.parametrize("text", ["我的身份证110101199003074514", "验证码是482913", "手机****5678",
                                  "[户号](account_no)", "第一行\n第二行", ""])
def test_private_numbers_masks_markup_and_empty_text_are_refused(root, text):
    with pytest.raises(CorrectionRefused):
        add_example(root, "greet", text)


@pytest.mark.parametrize("intent", ["no_such_intent", "EXTERNAL_person_detected", "faq"])
def test_unknown_intents_are_refused(root, intent):
    with pytest.raises(CorrectionRefused, match="not an intent"):
        add_example(root, intent, "随便说一句")


def test_an_faq_question_is_named_by_its_key(root):
    key = next(e.intent for e in nlu_eval.load_examples(root / "nlu_data/faq.yml"))
    faq_key = next(line.split("intent:")[1].strip() for line in (root / "nlu_data/faq.yml").read_text().splitlines()
                   if "intent: faq/" in line)
    assert key == "faq"
    assert add_example(root, faq_key, "你们几点下班来着").new
