"""`hallbot models` (bot/models_cli.py) and the README's licence table say the same, and no model
that forbids commercial use is loaded by default."""
import re

from bot.cli import main
from bot.models_cli import MODELS, markdown
from hallbot.settings import ROOT, VARIABLES


def readme_rows() -> list[dict[str, str]]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    table = text.split("<!-- models: begin -->\n", 1)[1].split("<!-- models: end -->", 1)[0]
    lines = [line for line in table.strip().splitlines() if line.startswith("|")]
    header = [c.strip() for c in lines[0].strip("|").split("|")]
    return [dict(zip(header, (c.strip() for c in line.strip("|").split("|")))) for line in lines[2:]]


def test_readme_licence_table_agrees_with_the_listing():
    rows = readme_rows()
    assert [r["role"] for r in rows] == [m.role for m in MODELS]
    for row, model in zip(rows, MODELS):
        assert (row["model"], row["package"], row["licence"]) == (model.name, model.package, model.licence)
        assert row["commercial use"] == ("yes" if model.commercial else "no"), model.role
        assert row["loaded by default"] == ("yes" if model.default else "no"), model.role
    assert "".join(f"{line}\n" for line in markdown().splitlines()) == markdown()


def test_defaults_are_commercially_usable():
    assert [m.role for m in MODELS if m.default and not m.commercial] == []
    assert {m.role for m in MODELS if not m.commercial} == {"TTS zh (evaluation)", "Face (optional)"}


def test_default_chinese_voice_is_the_listed_kokoro():
    assert VARIABLES["HALLBOT_TTS_ZH_ENGINE"].default == "kokoro"
    kokoro = next(m for m in MODELS if m.role == "TTS zh")
    assert "Kokoro" in kokoro.name and VARIABLES["HALLBOT_TTS_VOICE"].default in kokoro.name


def test_command_lists_every_model_with_its_size(capsys):
    assert main(["models"]) == 0
    out = capsys.readouterr().out
    for model in MODELS:
        assert model.role in out and model.licence in out
    # each row has a size or says it is not installed here
    assert len(re.findall(r"\d+\.\d MiB|not installed", out)) == len(MODELS)
