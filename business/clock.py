"""The one clock of the business system and its demo data.

Bills, arrears, profiles, recommendations and the seeded history all ask this module for "now",
so a demo or a test can move the whole business system to another day with one setting, and
seeded data is never later than the clock that reads it (a history dated "today 08:00" read at
03:00 showed paid bills as unpaid: the failure that made this module).

HALLBOT_TODAY=YYYY-MM-DD pins the date; the time of day still runs, so events stay ordered.
Unset: the real date. `make test-dates` runs the whole suite on other days this way.
"""
from __future__ import annotations

import datetime as dt

from hallbot.settings import TODAY as ENV
from hallbot.settings import pinned_today


def pinned_date() -> dt.date | None:
    value = pinned_today()
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{ENV} must be a date like 2026-12-31, not {value!r}") from None


def now() -> dt.datetime:
    """Local naive time (the business database stores naive local times)."""
    real = dt.datetime.now()
    pinned = pinned_date()
    return real if pinned is None else dt.datetime.combine(pinned, real.time())


def today() -> dt.date:
    return now().date()
