"""The action server answers every call within HALLBOT_ACTION_DEADLINE_S, also when an action hangs
(Rasa would wait 300 s, the app gives up after HALLBOT_RASA_TIMEOUT_S), and a hung action does not
hold up other conversations' actions. A real action server process, real HTTP."""
from __future__ import annotations

import concurrent.futures
import os
import subprocess
import sys
import time

import httpx
import pytest

from actions.server import SLOW
from bot.supervisor import free_port
from hallbot.settings import ROOT
from identity import keys

DEADLINE_S = 6.0   # the smallest allowed: above the business API's 5 s timeout


@pytest.fixture
def action_server(tmp_path):
    port = free_port()
    env = {**os.environ, "HALLBOT_VAR_DIR": str(tmp_path), "HALLBOT_ACTION_DEADLINE_S": str(DEADLINE_S),
           "HALLBOT_RASA_TIMEOUT_S": "20"}
    log = (tmp_path / "actions.log").open("wb")
    proc = subprocess.Popen([sys.executable, "-m", "actions.server", "--actions", "tests.actions.slow_package",
                             "--host", "127.0.0.1", "--port", str(port)], cwd=ROOT, env=env,
                            stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                if httpx.get(url + "/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None:
                pytest.fail((tmp_path / "actions.log").read_text())
            time.sleep(0.25)
        yield url, keys.secret(keys.ACTIONS_TOKEN, tmp_path)
    finally:
        proc.kill()
        proc.wait()
        log.close()


def call(url: str, token: str, action: str) -> tuple[dict, float]:
    body = {"next_action": action, "sender_id": f"t-{action}", "version": "3.6.21", "domain": {},
            "tracker": {"sender_id": f"t-{action}", "slots": {}, "events": [], "latest_message": {},
                        "paused": False, "followup_action": None, "active_loop": {}, "latest_action_name": None}}
    response = httpx.post(url + "/webhook", json=body, headers={"Authorization": f"Bearer {token}"}, timeout=30)
    response.raise_for_status()
    return response.json(), time.monotonic()


def test_a_hung_action_is_answered_at_the_deadline_and_does_not_block_others(action_server):
    url, token = action_server
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        hung = pool.submit(call, url, token, "action_hang")
        time.sleep(0.5)   # the hung action is running when the quick one arrives
        quick = pool.submit(call, url, token, "action_quick")
        (slow_answer, slow_done), (quick_answer, quick_done) = hung.result(), quick.result()
    assert slow_answer["events"] == [] and slow_answer["responses"][0]["text"] == SLOW
    assert slow_answer["responses"][0]["custom"] == {"type": "error", "code": "slow"}
    assert quick_answer["responses"][0]["text"] == "quick answer"
    assert quick_done < slow_done, "the quick action waited for the hung one"
