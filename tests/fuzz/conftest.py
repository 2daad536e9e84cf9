"""Fuzzing runs a few examples per target in `make test` (HALLBOT_FUZZ_EXAMPLES is not a setting of the
robot, only of this suite: pytest's -p hypothesis profile `long` runs more)."""
from __future__ import annotations

from hypothesis import HealthCheck, settings

from tests.business.conftest import api_server, sqlite_biz, sqlite_template  # noqa: F401 - fixtures

settings.register_profile("default", max_examples=40, deadline=None, derandomize=True,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
settings.register_profile("long", max_examples=2000, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
settings.load_profile("default")
