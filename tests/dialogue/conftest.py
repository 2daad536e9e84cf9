"""Dialogue tests use the shared hall fixture (tests/conftest.py, helpers in tests/hall.py).
Every reply those tests get is also checked for internal names (tests/plain_language.py)."""
from __future__ import annotations

import pytest

from tests.hall import SPOKEN
from tests.plain_language import leaks


@pytest.fixture(autouse=True)
def replies_in_plain_language():
    """After each dialogue test: no reply it got (text, buttons, staff transcript) names a code."""
    start = len(SPOKEN)
    yield
    found = [leak for messages in SPOKEN[start:] for leak in leaks(messages)]
    if found:
        pytest.fail("internal names reached a customer or staff member:\n"
                    + "\n".join(f"  {name!r} in {text!r}" for name, text in found[:10]), pytrace=False)
