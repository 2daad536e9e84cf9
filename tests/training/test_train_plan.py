"""What `hallbot train` decides to do: nothing, finetune (only NLU examples changed) or train fully,
naming the inputs that changed; and the fingerprints it decides on."""
from __future__ import annotations

from bot.model_versions import ModelVersion
from bot.rasa_service import input_fingerprints
from bot.training import plan
from tests.setup.test_training_fingerprint import copy_training_inputs

INPUTS = {"config": "c", "domain": "d", "stories": "s", "nlu_data": "n", "code": "k"}


def _in_service(inputs=INPUTS, fingerprint="F1") -> ModelVersion:
    return ModelVersion(name="v1", fingerprint=fingerprint, inputs=dict(inputs), created=1.0)


def test_unchanged_inputs_need_no_training():
    assert plan(_in_service(), [], "F1", INPUTS).mode == "up-to-date"
    assert plan(_in_service(), [], "F1", INPUTS, force=True).mode == "full"


def test_only_examples_changed_finetunes_the_model_in_service():
    todo = plan(_in_service(), [], "F2", {**INPUTS, "nlu_data": "n2"})
    assert todo.mode == "finetune" and todo.base is not None and todo.base.name == "v1"
    assert todo.changed == ("nlu_data",)
    assert plan(_in_service(), [], "F2", {**INPUTS, "nlu_data": "n2"}, full=True).mode == "full"


def test_a_domain_change_trains_fully_and_says_why():
    todo = plan(_in_service(), [], "F2", {**INPUTS, "nlu_data": "n2", "domain": "d2"})
    assert todo.mode == "full" and todo.changed == ("domain", "nlu_data")
    assert "domain changed, so a finetune is impossible" in todo.why


def test_no_model_or_an_adopted_one_trains_fully():
    assert plan(None, [], "F2", INPUTS).mode == "full"
    adopted = _in_service(inputs={})
    assert plan(adopted, [], "F2", INPUTS).mode == "full"


def test_a_kept_version_of_these_inputs_is_offered_instead_of_retraining():
    kept = ModelVersion(name="v2", fingerprint="F2", inputs=dict(INPUTS), created=2.0)
    todo = plan(_in_service(), [_in_service(), kept], "F2", {**INPUTS, "nlu_data": "n2"})
    assert todo.mode == "exists" and todo.existing == kept


def test_each_kind_of_input_has_its_own_fingerprint(tmp_path):
    root = copy_training_inputs(tmp_path)
    before = input_fingerprints(root)
    nlu = next((root / "nlu_data").glob("*.yml"))
    nlu.write_text(nlu.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    after = input_fingerprints(root)
    assert {k for k in before if before[k] != after[k]} == {"nlu_data"}
    (root / "domain.yml").write_text((root / "domain.yml").read_text(encoding="utf-8") + "\n", encoding="utf-8")
    with (root / "rasa_addons/linear_intent_classifier.py").open("a") as out:
        out.write("\n# changed\n")
    changed = input_fingerprints(root)
    assert {k for k in after if after[k] != changed[k]} == {"domain", "code"}


def test_a_finetune_starts_from_the_model_in_service_with_fewer_epochs(tmp_path):
    from bot.training import train_command
    from hallbot.settings import Settings

    settings = Settings(var_dir=tmp_path, finetune_epoch_fraction=0.25)
    base = tmp_path / "v1.tar.gz"
    finetune = train_command(settings, tmp_path, "v2", base)
    assert finetune[finetune.index("--finetune") + 1] == str(base)
    assert finetune[finetune.index("--epoch-fraction") + 1] == "0.25"
    assert finetune[finetune.index("--fixed-model-name") + 1] == "v2"
    assert "--finetune" not in train_command(settings, tmp_path, "v2", None)
