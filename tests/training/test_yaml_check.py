"""A training file that does not parse is an error with file and line (bot/yaml_check.py): Rasa itself
takes such a file for "not training data", calls the data valid and trains without it."""
from __future__ import annotations

import shutil

from bot import commands, training, yaml_check
from hallbot.settings import ROOT, Settings

BROKEN = 'version: "3.1"\nnlu:\n  - intent: greet\n    examples: |\n      - 你好呀\n     intent: bad\n'


def checkout(tmp_path):
    root = tmp_path / "checkout"
    for name in ("domain.yml", "config.yml"):
        root.mkdir(exist_ok=True)
        shutil.copy(ROOT / name, root / name)
    for name in ("nlu_data", "stories"):
        shutil.copytree(ROOT / name, root / name)
    return root


def test_the_shipped_training_files_parse(tmp_path):
    assert yaml_check.broken(ROOT) == []


def test_a_broken_file_is_named_with_its_line_and_validate_and_train_stop(tmp_path, monkeypatch, capsys):
    root = checkout(tmp_path)
    (root / "nlu_data" / "new.yml").write_text(BROKEN, encoding="utf-8")
    (root / "stories" / "latin1.yml").write_bytes("- story: caf\u00e9".encode("latin-1"))
    errors = yaml_check.broken(root)
    assert [(e.file, e.line) for e in errors] == [("nlu_data/new.yml", 6), ("stories/latin1.yml", 0)]
    assert str(errors[0]).startswith("nlu_data/new.yml:6:6: while parsing a block mapping")

    def no_rasa(*args, **kwargs):
        raise AssertionError("Rasa must not be asked: it would call this data valid")
    monkeypatch.setattr(commands, "_run_rasa", no_rasa)
    assert commands.validate(Settings(root=root)) == 1
    assert "error: nlu_data/new.yml:6:6:" in capsys.readouterr().out
    assert training.train(Settings(root=root, model_dir=tmp_path / "models")) == 1
    assert "not training: fix the YAML" in capsys.readouterr().err
    assert not (tmp_path / "models").exists()


def test_rasa_output_loses_colour_codes_and_library_noise():
    noisy = ("\x1b[91mYamlSyntaxException: Failed to read 'nlu_data/x.yml'. mapping values are not allowed here\n"
             "  in \"nlu_data/x.yml\", line 3, column 24:\n"
             "You can use https://yamlchecker.com/ to validate the YAML syntax of your file.\x1b[0m\n"
             "/x/sanic_cors/extension.py:39: DeprecationWarning: distutils Version classes are deprecated.\n"
             "  SANIC_VERSION = LooseVersion(sanic_version)\n"
             "/x/pkg_resources/__init__.py:3117: DeprecationWarning: Deprecated call to `pkg_resources.declare_namespace('ruamel')`.\n"
             "Implementing implicit namespace packages (as specified in PEP 420) is preferred\n"
             "  declare_namespace(pkg)\n")
    assert commands.clean_rasa_output(noisy) == (
        "YamlSyntaxException: Failed to read 'nlu_data/x.yml'. mapping values are not allowed here\n"
        "  in \"nlu_data/x.yml\", line 3, column 24:")
