"""Model versions on disk: the link in service, atomic switches, rollback, adopting an old model."""
from __future__ import annotations

import os

import pytest

from bot.model_versions import HeldOutScores, ModelStore, ModelStoreError, ModelVersion, changed_inputs, version_name


def _version(name: str, created: float, fingerprint: str = "f" * 16) -> ModelVersion:
    return ModelVersion(name=name, fingerprint=fingerprint, inputs={"nlu_data": "a"}, created=created,
                        heldout=HeldOutScores(0.8, 0.7, {"greet": 0.9}, 100))


def _trained(store: ModelStore, tmp_path, name: str, created: float) -> ModelVersion:
    file = tmp_path / f"{name}-out.tar.gz"
    file.write_bytes(name.encode())      # the content tells which model a reader got
    return store.add(file, _version(name, created))


def test_switch_points_the_service_file_at_the_version(tmp_path):
    store = ModelStore(tmp_path / "models")
    _trained(store, tmp_path, "a", 1.0)
    _trained(store, tmp_path, "b", 2.0)
    store.point_to("a", "trained")
    assert store.service_path.read_bytes() == b"a"
    store.point_to("b", "trained")
    assert store.service_path.read_bytes() == b"b"
    assert os.readlink(store.service_path) == "versions/b.tar.gz"   # relative: the folder can move
    assert store.in_service().name == "b"
    assert [v.name for v in store.versions()] == ["a", "b"]
    assert not [p for p in store.model_dir.iterdir() if p.name.startswith(".")]   # no temporary left


def test_rollback_goes_back_one_switch_at_a_time(tmp_path):
    store = ModelStore(tmp_path / "models")
    for i, name in enumerate("abc"):
        _trained(store, tmp_path, name, float(i))
        store.point_to(name, "trained")
    assert store.rollback_target().name == "b"
    store.point_to("b", "rollback")
    assert store.rollback_target().name == "a"
    store.point_to("a", "rollback")
    with pytest.raises(ModelStoreError):
        store.rollback_target()
    store.point_to("c", "switch")           # a switch after rollbacks: back goes to where it came from
    assert store.rollback_target().name == "a"
    assert [s.reason for s in store.service_log()] == ["trained"] * 3 + ["rollback"] * 2 + ["switch"]


def test_nothing_to_roll_back_to(tmp_path):
    store = ModelStore(tmp_path / "models")
    _trained(store, tmp_path, "a", 1.0)
    store.point_to("a", "trained")
    with pytest.raises(ModelStoreError, match="no earlier model"):
        store.rollback_target()


def test_an_unknown_version_is_a_clear_error(tmp_path):
    store = ModelStore(tmp_path / "models")
    _trained(store, tmp_path, "a", 1.0)
    with pytest.raises(ModelStoreError, match="no model version 'zz' .known: a"):
        store.point_to("zz", "switch")


def test_a_model_from_before_versions_is_adopted(tmp_path):
    models = tmp_path / "models"
    models.mkdir()
    (models / "hallbot.tar.gz").write_bytes(b"old")
    (models / "hallbot.fingerprint").write_text("0123456789abcdef")
    store = ModelStore(models)
    current = store.in_service()
    assert current is not None and current.mode == "adopted" and current.fingerprint == "0123456789abcdef"
    assert current.heldout is None and current.inputs == {}
    assert store.service_path.is_symlink() and store.service_path.read_bytes() == b"old"
    assert store.model_file(current.name).read_bytes() == b"old"


def test_records_survive_a_round_trip(tmp_path):
    store = ModelStore(tmp_path / "models")
    version = _trained(store, tmp_path, "a", 1.5)
    assert store.get("a") == version


def test_names_sort_by_time_and_changed_inputs_are_named():
    assert version_name(0.0, "abcdef123") == "19700101-000000-abcdef"
    assert version_name(86400.0, "0") < version_name(86401.0, "0")
    before = {"config": "1", "domain": "2", "nlu_data": "3"}
    assert changed_inputs(before, {**before, "nlu_data": "4"}) == ["nlu_data"]
    assert changed_inputs({}, before) == ["config", "domain", "nlu_data"]


def test_pruning_keeps_the_newest_the_one_in_service_and_its_rollback(tmp_path):
    store = ModelStore(tmp_path / "models")
    for i, name in enumerate("abcde"):
        _trained(store, tmp_path, name, float(i))
    store.point_to("a", "trained")
    store.point_to("b", "trained")
    assert store.prune(keep=2) == ["c"]           # d, e newest; b in service; a its rollback
    assert [v.name for v in store.versions()] == ["a", "b", "d", "e"]
    assert not list(store.versions_dir.glob("c.*"))
    assert store.service_path.read_bytes() == b"b"


def test_the_model_command_lists_switches_and_rolls_back(tmp_path, monkeypatch, capsys):
    from bot.cli import main
    from bot.supervisor import free_port

    store = ModelStore(tmp_path / "models")
    _trained(store, tmp_path, "a", 1.0)
    _trained(store, tmp_path, "b", 2.0)
    store.point_to("a", "trained")
    monkeypatch.setenv("HALLBOT_MODEL_DIR", str(store.model_dir))
    monkeypatch.setenv("HALLBOT_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("HALLBOT_RASA_PORT", str(free_port()))       # no Rasa server there
    monkeypatch.delenv("HALLBOT_RASA_URL", raising=False)
    assert main(["model", "list"]) == 0
    listing = capsys.readouterr().out
    assert "* a " in listing and "  b " in listing and "0.800  0.700" in listing
    assert main(["model", "switch", "b"]) == 0
    assert "no Rasa server" in capsys.readouterr().out and store.in_service().name == "b"
    assert main(["model", "rollback"]) == 0
    assert store.in_service().name == "a"
    assert main(["model", "switch", "zz"]) == 1
