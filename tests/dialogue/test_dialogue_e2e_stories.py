"""Conversation tests (tests/e2e/*.yml) through the trained model with `rasa test core --e2e`:
user text -> NLU (intents and entities) -> dialogue policies -> actions, every step compared."""
from __future__ import annotations

import json
import re
import subprocess

import pytest

from bot import rasa_service
from bot.commands import _rasa_env
from hallbot.settings import ROOT, load

pytestmark = pytest.mark.rasa


def test_every_conversation_test_story_passes(trained_model, tmp_path):
    settings = load()
    result = subprocess.run(
        rasa_service.rasa_command(settings, "test", "core", "--e2e", "--model", str(trained_model), "--stories",
                                  str(ROOT / "tests" / "e2e"), "--out", str(tmp_path), "--no-plot"),
        cwd=ROOT, env=_rasa_env(), capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    failed = (tmp_path / "failed_test_stories.yml").read_text(encoding="utf-8")
    assert "story:" not in failed, f"failed conversation tests:\n{failed}"
    stories = sum(path.read_text(encoding="utf-8").count("- story:") for path in (ROOT / "tests" / "e2e").glob("*.yml"))
    evaluated = re.search(r"Evaluating (\d+) stories", result.stdout + result.stderr)
    assert evaluated and int(evaluated.group(1)) == stories, "every test story must be evaluated"
    report = json.loads((tmp_path / "story_report.json").read_text(encoding="utf-8"))
    assert report["weighted avg"]["f1-score"] == 1.0
