"""Conversation tests (tests/e2e/*.yml) through the trained model with `rasa test core --e2e`
(bot/story_check.py, which `hallbot train` also runs before a switch): user text -> NLU (intents
and entities) -> dialogue policies -> actions, every step compared. One run holds the project's
stories and one made to fail, so the check is seen to catch a wrong step and to name its story."""
from __future__ import annotations

import shutil

import pytest

from bot import story_check
from hallbot.settings import ROOT, load

pytestmark = pytest.mark.rasa

WRONG = """version: "3.1"
stories:
  - story: "made to fail: thanks answered with a farewell"
    steps:
      - user: |
          谢谢你
        intent: thank
      - action: action_farewell
"""


def test_every_conversation_test_story_passes_and_a_wrong_one_is_named(trained_model, tmp_path):
    stories = tmp_path / "stories"
    shutil.copytree(ROOT / "tests" / "e2e", stories)
    (stories / "test_zz_made_to_fail.yml").write_text(WRONG, encoding="utf-8")
    result = story_check.run(load(), trained_model, stories, out_dir=tmp_path / "out")
    assert result.ran, result.output[-3000:]
    assert result.failed == ("made to fail: thanks answered with a farewell",), \
        (tmp_path / "out" / "failed_test_stories.yml").read_text(encoding="utf-8")
    assert result.evaluated == story_check.count_stories(ROOT / "tests" / "e2e") + 1, "every test story must be evaluated"
    assert not [p.name for p in (ROOT / "tests" / "e2e").glob("*.yml") if not p.name.startswith(story_check.TEST_PREFIX)], \
        "Rasa skips conversation tests in files not named test_*.yml"
    assert "1 failing" not in result.summary() and "failing: made to fail" in result.summary()
