"""Switching the running robot's model: a real Rasa server (its own venv, its token) loads the new
version beside the one serving through PUT /model, while a customer's conversation goes on; then
`hallbot model rollback` puts the old one back the same way."""
from __future__ import annotations

import asyncio
import shutil
import time

import pytest

from bot import model_switch
from bot.model_versions import HeldOutScores, ModelStore, ModelVersion
from tests.hall import seed_business, start_hall


def _keep(store: ModelStore, trained_model, name: str, created: float) -> None:
    copy = store.model_dir / f"{name}-in.tar.gz"
    shutil.copy(trained_model, copy)
    store.add(copy, ModelVersion(name=name, fingerprint=name, inputs={}, created=created,
                                 heldout=HeldOutScores(0.8, 0.8, {}, 1)))


@pytest.fixture(scope="module")
def versioned_hall(trained_model, tmp_path_factory):
    """A hall of its own whose models/hallbot.tar.gz is the link to version "first"."""
    var_dir, model_dir = tmp_path_factory.mktemp("switch-var"), tmp_path_factory.mktemp("switch-models")
    store = ModelStore(model_dir)
    _keep(store, trained_model, "first", 1.0)
    _keep(store, trained_model, "second", 2.0)
    store.point_to("first", "trained")
    with pytest.MonkeyPatch.context() as mp:
        seed_business(var_dir, mp)
        supervisor, settings = start_hall(var_dir, model_dir=model_dir)
    try:
        yield settings, store
    finally:
        supervisor.stop()


async def _talk_while(settings, until: asyncio.Future) -> list[tuple[float, float, bool]]:
    """Turns of one conversation, back to back, until `until` is done: (start, end, answered)."""
    from bot.rasa_client import RasaClient
    from identity import keys

    client = RasaClient(settings.rasa_url, keys.secret(keys.RASA_TOKEN, settings.var_dir), timeout_s=settings.rasa_timeout_s)
    turns = []
    try:
        while not until.done():
            started = time.monotonic()
            replies = await client.send(f"switch-{int(started * 1000)}", "你好")
            turns.append((started, time.monotonic(), bool(replies)))
            await asyncio.sleep(0.2)
    finally:
        await client.close()
    return turns


def test_the_running_robot_switches_and_rolls_back_without_a_restart(versioned_hall, capsys):
    settings, store = versioned_hall

    async def switch_during_conversation(name: str):
        loop = asyncio.get_running_loop()
        started = time.monotonic()
        switching = loop.run_in_executor(None, model_switch.switch, settings, store, name, "switch")
        turns = await _talk_while(settings, switching)
        return await switching, started, time.monotonic(), turns

    status, started, ended, turns = asyncio.run(switch_during_conversation("second"))
    assert status == 0, capsys.readouterr().out
    assert "now answers with second" in capsys.readouterr().out
    assert store.in_service().name == "second"
    assert all(answered for _, _, answered in turns)
    # turns went on while Rasa loaded the new model (the stock handler blocks its event loop meanwhile)
    assert [t for t in turns if t[0] > started + 1.0 and t[1] < ended - 1.0], turns

    assert model_switch.rollback(settings, store) == 0
    assert "now answers with first" in capsys.readouterr().out
    assert store.in_service().name == "first"
    assert store.service_path.resolve() == store.model_file("first").resolve()


def test_a_missing_version_leaves_the_robot_as_it_was(versioned_hall, capsys):
    settings, store = versioned_hall
    before = store.in_service()
    assert model_switch.switch(settings, store, "nope", "switch") == 1
    assert "no model version 'nope'" in capsys.readouterr().out
    assert store.in_service() == before
