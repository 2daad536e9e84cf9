"""bot/nlu_eval.py scores what a model parsed: intents by accuracy and F1, digit entities by the value a form gets."""
from pathlib import Path

import pytest

from bot.nlu_eval import Example, load_examples, parse_annotated, score


def test_annotations_become_text_and_entities():
    text, entities = parse_annotated("户号是[幺二零幺九七四四零三](account_no)，交[两百](amount)")
    assert text == "户号是幺二零幺九七四四零三，交两百"
    assert entities == (("account_no", "幺二零幺九七四四零三"), ("amount", "两百"))


def test_retrieval_intents_count_as_their_base_intent(tmp_path: Path):
    path = tmp_path / "h.yml"
    path.write_text('version: "3.1"\nnlu:\n- intent: faq/opening_hours\n  examples: |\n    - 几点开门\n', encoding="utf-8")
    assert load_examples(path) == [Example("几点开门", "faq", ())]


def parsed(intent: str, *entities: tuple[str, str]) -> dict:
    return {"intent": intent, "confidence": 0.9, "entities": [{"entity": n, "value": v} for n, v in entities], "ms": 10.0}


def test_intent_scores():
    examples = [Example("a", "greet", ()), Example("b", "greet", ()), Example("c", "deny", ())]
    report = score(examples, [parsed("greet"), parsed("deny"), parsed("deny")])
    assert report.accuracy == pytest.approx(2 / 3)
    assert report.per_intent["greet"]["f1"] == pytest.approx(2 / 3, abs=1e-4)     # P 1, R 0.5
    assert report.per_intent["deny"]["f1"] == pytest.approx(2 / 3, abs=1e-4)      # P 0.5, R 1
    assert report.macro_f1 == pytest.approx(2 / 3)
    assert report.errors == [{"text": "b", "intent": "greet", "predicted": "deny", "confidence": 0.9}]


def test_a_digit_entity_counts_when_the_form_would_get_the_same_digits():
    examples = [Example("x", "provide_account_number", (("account_no", "幺二零幺九七四四零三"),)),
                Example("y", "provide_phone", (("phone", "一三八 一二三四 五六七八"),))]
    report = score(examples, [parsed("provide_account_number", ("account_no", "1201974403")),
                              parsed("provide_phone", ("account_no", "1381234567"))])
    assert report.per_entity["account_no"] == {"precision": 0.5, "recall": 1.0, "f1": pytest.approx(2 / 3, abs=1e-4), "support": 1}
    assert report.per_entity["phone"]["recall"] == 0.0
    assert report.entity_f1 == pytest.approx(0.5)
