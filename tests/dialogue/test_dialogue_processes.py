"""`hallbot run` supervision (clear port errors, clean Ctrl-C), the app API and the chat CLI."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import replace

from aiohttp.test_utils import TestClient, TestServer

from bot.app import make_app
from bot.supervisor import free_port, free_udp_port
from hallbot.settings import ROOT
from phone.sip import sip_ping

HALLBOT = [sys.executable, "-m", "bot.cli"]


def port_is_free(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


def run_env(tmp_path, **ports) -> dict[str, str]:
    # the phone's SIP port is UDP: a free one of its own, so parallel runs never meet on 5080
    env = {**os.environ, "HALLBOT_VAR_DIR": str(tmp_path), "HALLBOT_DEMO_CUSTOMERS": "50", "HALLBOT_SIP_PORT": str(free_udp_port())}
    env.update({f"HALLBOT_{k.upper()}_PORT": str(v) for k, v in ports.items()})
    env.pop("HALLBOT_RASA_URL", None)
    return env


def test_port_in_use_gives_a_clear_message(trained_model, tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        taken = busy.getsockname()[1]
        result = subprocess.run(HALLBOT + ["run"], cwd=ROOT, capture_output=True, text=True, timeout=120,
                                env=run_env(tmp_path, rasa=taken, actions=free_port(), app=free_port(),
                                             speech=free_port()))
    assert result.returncode == 2
    assert f"port {taken}" in result.stderr and "already in use" in result.stderr


def test_ctrl_c_stops_every_process(trained_model, tmp_path):
    """Also when started as a background job would be: SIGINT ignored at start (Python then installs
    no Ctrl-C handler of its own; CI started it so and `hallbot run` ignored Ctrl-C)."""
    ports = {"rasa": free_port(), "actions": free_port(), "app": free_port(), "speech": free_port()}
    sip = free_udp_port()
    ignoring_sigint = ["bash", "-c", 'trap "" INT; exec "$@"', "hallbot"]   # SIG_IGN survives exec
    proc = subprocess.Popen(ignoring_sigint + HALLBOT + ["run"], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, env=run_env(tmp_path, sip=sip, **ports))
    try:
        lines = []
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            lines.append(line)
            if line.startswith("ready:") or not line:
                break
        assert any(line.startswith("ready:") for line in lines), "".join(lines)
        assert not any(port_is_free(p) for p in ports.values())
        assert sip_ping("127.0.0.1", sip)             # the phone service answers SIP too
        proc.send_signal(signal.SIGINT)
        rest, _ = proc.communicate(timeout=60)
        assert proc.returncode == 0, rest
        assert "stopped" in rest
        assert all(port_is_free(p) for p in ports.values())
        assert not sip_ping("127.0.0.1", sip, timeout_s=0.5)
    finally:   # never leave a robot running behind a failed test
        if proc.poll() is None:
            proc.terminate()
            proc.wait(60)


async def test_app_relays_messages_and_buttons_by_id(app_client):
    reply = await app_client.post("/api/message", json={"sender": "web-1", "text": "帮我查一下电费"})
    assert reply.status == 200 and "身份" in (await reply.json())["messages"][0]["text"]
    guess = (await (await app_client.post("/api/message", json={"sender": "web-2", "text": "电"})).json())["messages"]
    assert "停电报修" in guess[0]["text"]                       # the fallback's "您是想停电报修吗？"
    yes = guess[0]["buttons"][0]
    assert set(yes) == {"title", "id"} and yes["title"] == "是的", "pages get ids, never payloads"
    pressed = await app_client.post("/api/message", json={"sender": "web-2", "button": yes["id"]})
    assert "地址" in (await pressed.json())["messages"][-1]["text"]   # the outage form started
    elsewhere = await app_client.post("/api/message", json={"sender": "web-1", "button": yes["id"]})
    assert elsewhere.status == 400 and "失效" in (await elsewhere.json())["error"]   # offered to web-2 only


async def test_app_has_no_public_sensor_event_api(app_client):
    reply = await app_client.post("/api/event", json={"sender": "kiosk-1", "intent": "EXTERNAL_face_recognized",
                                                      "entities": {"customer_id": "C000003"}})
    assert reply.status in (404, 405)


async def test_app_rejects_bad_requests_clearly(app_client):
    bad_json = await app_client.post("/api/message", data=b"\xff\xfe not json", headers={"Content-Type": "application/json"})
    assert bad_json.status == 400 and "JSON" in (await bad_json.json())["error"]
    no_sender = await app_client.post("/api/message", json={"text": "你好"})
    assert no_sender.status == 400
    empty = await app_client.post("/api/message", json={"sender": "k", "text": "   "})
    assert empty.status == 200 and "例如" in (await empty.json())["messages"][0]["text"]


async def test_app_says_clearly_when_rasa_is_down(hall):
    settings = replace(hall.settings, rasa_port=free_port())
    os.environ.pop("HALLBOT_RASA_URL", None)
    client = TestClient(TestServer(make_app(settings)))
    await client.start_server()
    try:
        reply = await client.post("/api/message", json={"sender": "k", "text": "你好"})
        assert reply.status == 503
        assert "对话服务暂时无法连接" in (await reply.json())["error"]
        health = await (await client.get("/health")).json()
        assert health == {"app": "ok", "rasa": "down"}
    finally:
        await client.close()


def test_chat_cli_talks_to_the_bot_and_simulates_sensors(hall):
    result = subprocess.run(HALLBOT + ["chat", "--nlu", "--url", hall.settings.rasa_url, "-m", "你好", "-m",
                                       ":face C000003", "-m", "1"], cwd=ROOT, capture_output=True, text=True, timeout=120,
                            env={**os.environ, "HALLBOT_VAR_DIR": str(hall.settings.var_dir)})
    assert result.returncode == 0, result.stderr
    assert "机器人: 您好，欢迎光临供电营业厅" in result.stdout
    assert "(NLU: greet" in result.stdout
    assert "王先生" in result.stdout and "[1] 办理峰谷分时电价" in result.stdout
    assert "峰谷电价可以在网上国网App" in result.stdout  # "1" pressed the first button


def test_chat_cli_reports_an_unreachable_bot(tmp_path):
    result = subprocess.run(HALLBOT + ["chat", "--url", f"http://127.0.0.1:{free_port()}", "-m", "你好"],
                            cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert "对话服务暂时无法连接" in result.stderr


def test_warm_up_runs_a_throwaway_conversation_and_never_raises(hall):
    from bot.warmup import warm_up

    assert warm_up(hall.settings.rasa_url, hall.rasa_token) > 0
    assert warm_up(f"http://127.0.0.1:{free_port()}", hall.rasa_token, timeout_s=2) < 5   # Rasa down: logged, not raised
