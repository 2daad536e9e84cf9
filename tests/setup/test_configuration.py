"""One settings module: hallbot/settings.py alone reads the environment, docs/configuration.md
lists exactly what it declares, and the areas' own defaults agree with the declared ones."""
from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from hallbot import settings as S

ROOT = Path(__file__).resolve().parents[2]
NAME = r"HALLBOT_[A-Z0-9_]*[A-Z0-9](?![A-Z0-9_])"   # a wildcard such as HALLBOT_ASR_* is not a name
PACKAGES = ("bot", "voice", "vision", "identity", "business", "actions", "rasa_addons", "hallbot", "phone")


def test_docs_table_is_the_generated_one():
    doc = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    table = doc.split("<!-- generated: begin -->\n", 1)[1].split("<!-- generated: end -->", 1)[0]
    assert table == S.markdown(), "docs/configuration.md is stale: regenerate with python -m hallbot.settings --markdown"


def _environment_reads(path: Path) -> list[int]:
    """Lines that touch os.environ / os.getenv / os.putenv (reads and writes alike)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [node.lineno for node in ast.walk(tree)
            if isinstance(node, ast.Attribute) and node.attr in ("environ", "getenv", "putenv", "unsetenv")
            and isinstance(node.value, ast.Name) and node.value.id == "os"]


def test_only_the_settings_module_reads_the_environment():
    offenders = {str(p.relative_to(ROOT)): lines for package in PACKAGES for p in (ROOT / package).rglob("*.py")
                 if p != ROOT / "hallbot" / "settings.py" and "migrations" not in p.parts
                 and (lines := _environment_reads(p))}
    assert offenders == {}


def test_every_variable_the_project_names_is_declared():
    """A HALLBOT_* name in code, scripts or docs that settings.py does not declare is a setting nobody reads
    (or one read behind its back)."""
    named: set[str] = set()
    for package in (*PACKAGES, "scripts", "docs", "bench"):
        for path in (ROOT / package).rglob("*"):
            if path.suffix in (".py", ".sh", ".js", ".md", ".yml") and path.is_file():
                named |= set(re.findall(NAME, path.read_text(encoding="utf-8", errors="replace")))
    named |= set(re.findall(NAME, (ROOT / "Makefile").read_text(encoding="utf-8")))
    assert named - set(S.VARIABLES) == set()


@pytest.fixture
def clean_env(monkeypatch):
    for name in S.VARIABLES:
        monkeypatch.delenv(name, raising=False)


def test_declared_defaults_are_the_areas_defaults(clean_env):
    from bot.kiosk.deps import timeouts
    from bot.kiosk.fsm import Timeouts
    from bot.kiosk.limits import KioskLimits
    from vision.config import VisionConfig
    from voice.asr import ASRConfig
    from voice.vad import VADConfig

    assert VADConfig.from_env() == VADConfig()
    assert ASRConfig.from_env() == ASRConfig()
    assert VisionConfig.from_env() == VisionConfig()
    assert KioskLimits.from_env() == KioskLimits()
    assert timeouts(S.KioskSettings.from_env()) == Timeouts()


def test_one_var_dir_for_every_area(clean_env, monkeypatch, tmp_path):
    """The var dir was ROOT/var in one place and ./var (relative to the working directory) in three."""
    from business import factory
    from identity import keys
    from vision.config import VisionConfig

    monkeypatch.chdir(tmp_path)
    expected = (ROOT / "var").resolve()
    assert S.load().var_dir == keys.var_dir() == VisionConfig().var_dir == expected
    assert factory.default_db_url() == f"sqlite:///{expected / 'business.sqlite'}"
    monkeypatch.setenv(S.VAR_DIR, str(tmp_path / "elsewhere"))
    assert S.load().var_dir == keys.var_dir() == VisionConfig().var_dir == tmp_path / "elsewhere"


def test_a_value_that_cannot_be_used_names_its_variable(clean_env, monkeypatch):
    monkeypatch.setenv("HALLBOT_ASR_THREADS", "two")
    with pytest.raises(S.SettingError, match="HALLBOT_ASR_THREADS"):
        S.load()
    monkeypatch.setenv("HALLBOT_ASR_THREADS", "2")
    monkeypatch.setenv("HALLBOT_KIOSK_VOICE", "maybe")
    with pytest.raises(S.SettingError, match="HALLBOT_KIOSK_VOICE"):
        S.KioskSettings.from_env()


def test_sections_follow_the_environment(clean_env, monkeypatch):
    monkeypatch.setenv("HALLBOT_KIOSK_VOICE", "0")
    monkeypatch.setenv("HALLBOT_ASR_HOTWORDS", "峰谷, 电费 ,")
    monkeypatch.setenv("HALLBOT_STAFF_SUPERVISORS", "s001,S002")
    monkeypatch.setenv("HALLBOT_SPEECH_URL", "http://speech.hall:5060/")
    settings = S.load()
    assert settings.kiosk.voice is False and settings.kiosk.vision is True
    assert settings.voice.asr_hotwords == ("峰谷", "电费")
    assert settings.staff.supervisors == frozenset({"S001", "S002"})
    assert settings.remote_speech and settings.speech_url == "http://speech.hall:5060"
    child = S.Settings(**{**settings.__dict__}).as_env()
    assert child["HALLBOT_SPEECH_URL"] == "http://speech.hall:5060"


def test_turn_timeouts_are_aligned_outermost_longest(clean_env, monkeypatch):
    """app -> Rasa > one action > one business call: otherwise the app gives up on (and replays)
    turns Rasa is still answering, or a slow business answer is cut off unexplained."""
    settings = S.Settings()
    assert settings.rasa_timeout_s >= settings.action_deadline_s + S.TURN_MARGIN_S
    assert settings.action_deadline_s > S.BUSINESS_HTTP_TIMEOUT_S
    monkeypatch.setenv("HALLBOT_RASA_TIMEOUT_S", "9")
    with pytest.raises(S.SettingError, match="HALLBOT_RASA_TIMEOUT_S"):
        S.Settings()
    monkeypatch.setenv("HALLBOT_RASA_TIMEOUT_S", "60")
    monkeypatch.setenv("HALLBOT_ACTION_DEADLINE_S", "4")
    with pytest.raises(S.SettingError, match="HALLBOT_ACTION_DEADLINE_S"):
        S.Settings()
