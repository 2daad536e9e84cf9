"""The console's trainer page over HTTP: the trainer role only, masked conversations with filters,
corrections written to nlu_data/corrections.yml (and refused with a reason)."""
from __future__ import annotations

import shutil

import aiohttp
import pytest

from bot.corrections import CORRECTIONS
from hallbot.settings import ROOT, Settings
from tests.staff.conftest import PASSWORD, serve_console
from tests.training.test_conversations import ID_NUMBER, PHONE, write_tracker


@pytest.fixture
def trainer_root(tmp_path):
    """A checkout's training data to correct (never the real nlu_data/)."""
    root = tmp_path / "checkout"
    root.mkdir()
    shutil.copy(ROOT / "domain.yml", root / "domain.yml")
    shutil.copytree(ROOT / "nlu_data", root / "nlu_data")
    (root / "nlu_data" / CORRECTIONS.name).unlink(missing_ok=True)   # the checkout's own corrections, if any
    return root


@pytest.fixture
async def trainer_console(var_dir, board, business, trainer_root, monkeypatch):
    monkeypatch.setenv("HALLBOT_STAFF_TRAINERS", "S000")
    write_tracker(var_dir)
    console = await serve_console(var_dir, board, business, settings=Settings(root=trainer_root, var_dir=var_dir))
    yield console
    await console.server.close()


async def _logged_in(url: str, staff_id: str) -> tuple[aiohttp.ClientSession, str]:
    session = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))   # cookies of 127.0.0.1
    async with session.post(f"{url}/staff/login", json={"staff_id": staff_id, "password": PASSWORD}) as r:
        assert r.status == 200, await r.text()
        csrf = (await r.json())["csrf"]
    return session, csrf


async def test_only_trainers_open_the_page(trainer_console):
    session, _ = await _logged_in(trainer_console.url, "S001")
    async with session:
        async with session.get(f"{trainer_console.url}/staff/trainer") as r:
            assert r.status == 403
        async with session.get(f"{trainer_console.url}/staff/api/trainer/conversations") as r:
            assert r.status == 403
    async with aiohttp.ClientSession() as anonymous, anonymous.get(f"{trainer_console.url}/staff/api/trainer/conversations") as r:
        assert r.status == 401
    session, csrf = await _logged_in(trainer_console.url, "S000")
    async with session, session.get(f"{trainer_console.url}/staff/trainer") as r:
        assert r.status == 200 and csrf in await r.text()


async def test_conversations_are_masked_and_filtered(trainer_console):
    session, _ = await _logged_in(trainer_console.url, "S000")
    async with session:
        async with session.get(f"{trainer_console.url}/staff/api/trainer/conversations") as r:
            body = await r.text()
            listing = await r.json()
        assert ID_NUMBER not in body and PHONE not in body and "482913" not in body
        assert [c["sender"] for c in listing["conversations"]] == ["web-5f6a7b", "K1-0a1b2c3d4e"]
        async with session.get(f"{trainer_console.url}/staff/api/trainer/conversations",
                                params={"handoff": "1", "channel": "web"}) as r:
            assert [c["sender"] for c in (await r.json())["conversations"]] == ["web-5f6a7b"]
        async with session.get(f"{trainer_console.url}/staff/api/trainer/conversations", params={"below": "x"}) as r:
            assert r.status == 400


async def test_a_correction_lands_in_the_nlu_data(trainer_console, trainer_root):
    session, csrf = await _logged_in(trainer_console.url, "S000")
    url = f"{trainer_console.url}/staff/api/trainer/example"
    async with session:
        async with session.post(url, json={"intent": "request_human", "text": "那个啥东西怎么弄"}) as r:
            assert r.status == 403                       # no CSRF token
        headers = {"X-CSRF-Token": csrf}
        async with session.post(url, json={"intent": "request_human", "text": "那个啥东西怎么弄"}, headers=headers) as r:
            answer = await r.json()
        assert answer["added"] and answer["file"] == "nlu_data/corrections.yml"
        assert "- intent: request_human" in answer["yaml"] and "那个啥东西怎么弄" in answer["yaml"]
        assert "那个啥东西怎么弄" in (trainer_root / "nlu_data/corrections.yml").read_text(encoding="utf-8")
        async with session.post(url, json={"intent": "provide_id", "text": "身份证" + "*" * 14 + "4514"},
                                headers=headers) as r:
            assert r.status == 400 and "private number" in (await r.json())["error"]
        async with session.get(f"{trainer_console.url}/staff/api/trainer/intents") as r:
            names = (await r.json())["intents"]
        assert "request_human" in names and "faq" not in names and any(n.startswith("faq/") for n in names)


async def test_a_conversation_is_kept_as_a_test_story_with_the_trainers_relabel(trainer_console, trainer_root):
    session, csrf = await _logged_in(trainer_console.url, "S000")
    url = f"{trainer_console.url}/staff/api/trainer/story"
    body = {"sender": "K1-0a1b2c3d4e", "kind": "test", "relabel": {"3": "request_human"}}
    async with session:
        async with session.post(url, json=body) as r:
            assert r.status == 403                       # no CSRF token
        headers = {"X-CSRF-Token": csrf}
        async with session.post(url, json=body, headers=headers) as r:
            answer = await r.json()
        assert answer["file"] == "tests/e2e/test_reviewed_stories.yml" and answer["unsure"] == 0, answer
        assert ID_NUMBER not in answer["yaml"] and "482913" not in answer["yaml"]
        assert '"那个啥东西怎么弄"\n        intent: request_human' in answer["yaml"]
        async with session.post(url, json={**body, "kind": "training"}, headers=headers) as r:
            assert (await r.json())["file"] == "stories/reviewed.yml"
        assert "- intent: request_human" in (trainer_root / "stories/reviewed.yml").read_text(encoding="utf-8")
        async with session.post(url, json={"sender": "nobody", "kind": "test"}, headers=headers) as r:
            assert r.status == 400 and "没有这段对话" in (await r.json())["error"]


async def test_the_training_data_warnings_are_served_to_trainers_only(trainer_console, trainer_root):
    (trainer_root / "nlu_data" / "new.yml").write_text(
        'version: "3.1"\nnlu:\n  - intent: query_payment_history\n    examples: |\n      - 我的交费记录\n',
        encoding="utf-8")
    session, _ = await _logged_in(trainer_console.url, "S001")
    async with session, session.get(f"{trainer_console.url}/staff/api/trainer/warnings") as r:
        assert r.status == 403
    session, _ = await _logged_in(trainer_console.url, "S000")
    async with session, session.get(f"{trainer_console.url}/staff/api/trainer/warnings") as r:
        found = (await r.json())["warnings"]
    assert {"kind": "few_examples", "file": "nlu_data/new.yml", "line": 3,
            "message": "intent query_payment_history has 1 example(s); give it at least 15"} in found


async def test_the_figures_per_day_and_intent_are_served_masked(trainer_console):
    session, _ = await _logged_in(trainer_console.url, "S000")
    async with session, session.get(f"{trainer_console.url}/staff/api/trainer/stats") as r:
        figures = await r.json()
    assert sum(d["conversations"] for d in figures["by_day"].values()) == 2
    assert figures["by_intent"]["request_human"] == {"conversations": 1, "fallback": 0.0, "handoff": 1.0, "contained": 0.0}
    assert figures["misunderstood"][0] == {"text": "那个啥东西怎么弄", "times": 1}
    assert ID_NUMBER not in str(figures) and PHONE not in str(figures)
