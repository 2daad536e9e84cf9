"""A trainer's edits checked with file and line (bot/data_warnings.py): too few examples, examples of
two intents that are the same or nearly, entity annotations without their entity's shape."""
from __future__ import annotations

import shutil

from bot import data_warnings
from hallbot.settings import ROOT

NEW_INTENT = """version: "3.1"
nlu:
  - intent: query_payment_history
    examples: |
      - 我想看看交费记录
      - 查一下我这半年的交费记录
      - 我的缴费历史
      - 帮我查户号[310023456](account_no)的交费记录
  - intent: ask_meter
    examples: |
      - "查一下我这半年的交费记录！"
      - 电表在哪里看读数
"""


def checkout(tmp_path, extra: str | None = None):
    root = tmp_path / "checkout"
    shutil.copytree(ROOT / "nlu_data", root / "nlu_data")
    if extra:
        (root / "nlu_data" / "new.yml").write_text(extra, encoding="utf-8")
    return root


def test_the_shipped_data_has_its_entity_shapes_and_no_text_under_two_intents(tmp_path):
    found = data_warnings.check(checkout(tmp_path))
    assert [w for w in found if w.kind in ("entity_shape", "same_text")] == []
    assert len(data_warnings.read_examples(ROOT)) > 1000       # every intent file was read


def test_a_new_intent_with_few_examples_a_conflict_and_a_wrong_shape_are_named_with_file_and_line(tmp_path):
    found = data_warnings.check(checkout(tmp_path, NEW_INTENT))
    by_kind = {w.kind: w for w in found if w.file == "nlu_data/new.yml"}
    few = [w for w in found if w.kind == "few_examples"]
    assert {w.message.split()[1] for w in few} == {"query_payment_history", "ask_meter"}
    assert by_kind["few_examples"].line in (3, 10)
    same = by_kind["same_text"]                                  # punctuation and quotes do not hide it
    assert same.line == 6 and "ask_meter" in same.message and "new.yml:11" in same.message
    shape = by_kind["entity_shape"]
    assert shape.line == 8 and "account_no '310023456'" in shape.message
    assert str(shape).startswith("nlu_data/new.yml:8: ")


def test_nearly_the_same_wording_is_similar_and_numbers_do_not_count(tmp_path):
    examples = [data_warnings.Example("pay_bill", "给户号3100234567交电费", "a.yml", 1, ()),
                data_warnings.Example("query_bill", "给户号3200000044交电费吧", "a.yml", 2, ()),
                data_warnings.Example("greet", "你好", "a.yml", 3, ())]
    found = data_warnings.conflicts(examples)
    assert [w.kind for w in found] == ["similar"] and "pay_bill" in found[0].message
    assert data_warnings.conflicts(examples, threshold=0.95) == []


def test_validate_prints_the_advice_without_failing_on_it(tmp_path, monkeypatch, capsys):
    from bot import commands
    from hallbot.settings import Settings

    root = checkout(tmp_path, NEW_INTENT)
    monkeypatch.setattr(commands, "_run_rasa", lambda settings, *args, capture=False:
                        type("Done", (), {"returncode": 0, "stdout": "", "stderr": ""})())
    assert commands.validate(Settings(root=root)) == 0
    out = capsys.readouterr().out
    assert "advice: nlu_data/new.yml:8: " in out and "training data valid" in out
