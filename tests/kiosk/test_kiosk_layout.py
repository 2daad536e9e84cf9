"""The kiosk's layout as docs/kiosk.md describes it: the session's parts depend on bot.kiosk.core,
never on the session that assembles them (no cycle), and voice/ never imports bot/."""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PARTS = ("core", "presence", "speech", "dialogue", "id_card")


def imported(path: Path) -> set[str]:
    """Every module a file imports, relative imports resolved against its package."""
    package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = package.rsplit(".", node.level - 1)[0] if node.level else ""
            module = ".".join(p for p in (base, node.module or "") if p)
            names |= {module} | {f"{module}.{a.name}" for a in node.names}
    return names


def test_no_part_of_the_session_imports_the_session():
    for part in PARTS:
        assert "bot.kiosk.session" not in imported(ROOT / "bot" / "kiosk" / f"{part}.py"), part


def test_the_session_is_assembled_from_its_parts():
    names = imported(ROOT / "bot" / "kiosk" / "session.py")
    assert {"bot.kiosk.presence", "bot.kiosk.speech", "bot.kiosk.dialogue", "bot.kiosk.core"} <= names


def test_voice_never_imports_bot():
    offenders = {str(p.relative_to(ROOT)): sorted(n for n in imported(p) if n == "bot" or n.startswith("bot."))
                 for p in (ROOT / "voice").rglob("*.py")}
    assert {k: v for k, v in offenders.items() if v} == {}
