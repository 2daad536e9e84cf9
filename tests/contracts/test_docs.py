"""docs/kiosk.md's tables of payloads and screen messages are what the registries hold."""
from __future__ import annotations

import pytest

from hallbot.settings import ROOT
from tests.contracts.docs_tables import TABLES, blocks, rendered


@pytest.mark.parametrize("path", sorted({p for p, _ in TABLES}))
def test_generated_tables_are_current(path):
    assert blocks(path) == {name for p, name in TABLES if p == path}, "a generated table is missing its markers"
    assert (ROOT / path).read_text(encoding="utf-8") == rendered(path), \
        "run: .venv/bin/python -m tests.contracts.docs_tables"
