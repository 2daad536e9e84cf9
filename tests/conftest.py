"""Fixtures shared by every test folder: a real hall (trained Rasa model served by a Rasa server,
the action server, a seeded business database) started once per test session, on free ports."""
from __future__ import annotations

from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.app import make_app
from hallbot.settings import ROOT
from tests.hall import DEMO_CUSTOMERS, Hall, seed_business, start_hall

# `make check` runs what needs none of these (-m "not rasa and not browser and not models"):
# the marks follow from the fixtures a test uses, so a new test is classified without a list.
RASA_FIXTURES = {"trained_model", "hall"}
MODEL_FIXTURES = {"transcriber", "zh_engine", "kokoro_engine", "en_engine", "tts", "dlib_engine", "shared_emotion", "make_service",
                  "portraits", "hall_faces"}


def pytest_collection_modifyitems(config, items):
    for item in items:
        names = set(getattr(item, "fixturenames", ()))
        if names & RASA_FIXTURES:
            item.add_marker(pytest.mark.rasa)
        if names & MODEL_FIXTURES:
            item.add_marker(pytest.mark.models)
        if "browser" in item.path.name:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def trained_model() -> Path:
    model = ROOT / "models" / "hallbot.tar.gz"
    if not model.exists():
        pytest.fail("no trained model: run `make test` (it trains first) or `.venv/bin/hallbot train`")
    return model


@pytest.fixture(scope="session")
def hall(trained_model, tmp_path_factory) -> Hall:
    var_dir = tmp_path_factory.mktemp("hall-var")
    with pytest.MonkeyPatch.context() as mp:
        seed_business(var_dir, mp)
        mp.setenv("HALLBOT_DEMO_CUSTOMERS", DEMO_CUSTOMERS)
        supervisor, settings = start_hall(var_dir)
    try:
        yield Hall(settings, supervisor)
    finally:
        supervisor.stop()


@pytest.fixture
async def app_client(hall):
    """The app server in front of the shared hall (text only), on an aiohttp test server."""
    client = TestClient(TestServer(make_app(hall.settings)))
    await client.start_server()
    yield client
    await client.close()
