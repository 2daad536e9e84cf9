"""`hallbot train` retrains when what shapes the model changes, and only then: the custom
components config.yml names count, the rest of rasa_addons (launcher, tracker store) does not."""
from __future__ import annotations

import shutil

from bot.rasa_service import custom_components, training_fingerprint
from hallbot.settings import ROOT


def copy_training_inputs(tmp_path):
    for name in ("config.yml", "domain.yml"):
        shutil.copy(ROOT / name, tmp_path / name)
    for name in ("nlu_data", "stories", "rasa_addons"):
        shutil.copytree(ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
    (tmp_path / "identity").mkdir()
    shutil.copy(ROOT / "identity/spoken_numbers.py", tmp_path / "identity/spoken_numbers.py")
    return tmp_path


def test_components_named_in_config_shape_the_fingerprint(tmp_path):
    root = copy_training_inputs(tmp_path)
    assert "rasa_addons/linear_intent_classifier.py" in custom_components(root)
    before = training_fingerprint(root)
    with (root / "rasa_addons/linear_intent_classifier.py").open("a") as out:
        out.write("\n# changed\n")
    assert training_fingerprint(root) != before


def test_other_rasa_addons_code_does_not_force_a_retrain(tmp_path):
    root = copy_training_inputs(tmp_path)
    before = training_fingerprint(root)
    with (root / "rasa_addons/launch.py").open("a") as out:
        out.write("\n# changed\n")
    (root / "rasa_addons/new_store.py").write_text("X = 1\n")
    assert training_fingerprint(root) == before


def test_training_data_changes_the_fingerprint(tmp_path):
    root = copy_training_inputs(tmp_path)
    before = training_fingerprint(root)
    nlu = next((root / "nlu_data").glob("*.yml"))
    nlu.write_text(nlu.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    assert training_fingerprint(root) != before


def test_the_spoken_number_normaliser_changes_the_fingerprint(tmp_path):
    """rasa_addons/spoken_numbers.py rewrites every training text with it."""
    root = copy_training_inputs(tmp_path)
    before = training_fingerprint(root)
    with (root / "identity/spoken_numbers.py").open("a") as out:
        out.write("\n# changed\n")
    assert training_fingerprint(root) != before
