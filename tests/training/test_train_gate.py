"""`hallbot train`'s gate with the real conversation tests: the training itself is replaced by a copy
of the trained model (minutes saved) and the held-out scores by fixed ones, the stories run for
real (rasa test core). A first model goes into service; a later one that fails a conversation test
stays out, and the trainer's --accept-drop puts it in."""
from __future__ import annotations

import shutil

import pytest

from bot import story_check, training
from bot.model_versions import HeldOutScores, ModelStore
from hallbot.settings import ROOT, Settings
from tests.dialogue.test_dialogue_e2e_stories import WRONG

pytestmark = pytest.mark.rasa
SCORES = HeldOutScores(accuracy=0.9, macro_f1=0.9, per_intent_f1={"greet": 1.0}, examples=10)


@pytest.fixture
def gate(trained_model, tmp_path, monkeypatch):
    def fake_training(settings, command):
        out = command[command.index("--out") + 1]
        name = command[command.index("--fixed-model-name") + 1]
        shutil.copy(trained_model, f"{out}/{name}.tar.gz")
        return True, ""
    monkeypatch.setattr(training, "_run_training", fake_training)
    monkeypatch.setattr(training, "scores_of", lambda settings, store, version: SCORES)
    stories = tmp_path / "e2e"
    stories.mkdir()
    shutil.copy(ROOT / "tests" / "e2e" / "test_stories.yml", stories / "test_stories.yml")
    monkeypatch.setattr(story_check, "STORIES", stories)
    settings = Settings(root=ROOT, model_dir=tmp_path / "models", rasa_url_override="http://127.0.0.1:9")
    return settings, stories


def test_a_model_failing_a_conversation_test_stays_out_of_service(gate, capsys):
    settings, stories = gate
    store = ModelStore(settings.model_dir)
    assert training.train(settings) == 0
    first = store.in_service()
    assert first is not None and "conversation tests: " in capsys.readouterr().out

    (stories / "test_made_to_fail.yml").write_text(WRONG, encoding="utf-8")
    assert training.train(settings, force=True) == training.BLOCKED
    out = capsys.readouterr().out
    assert "failing: made to fail: thanks answered with a farewell" in out and f"{first.name} stays in service" in out
    assert store.in_service().name == first.name
    assert training.train(settings, force=True, accept_drop=True) == 0
    assert store.in_service().name != first.name
