"""The kiosk WebSocket protocol and the app's JSON API under generated input (hypothesis): any
sequence of text frames (JSON or not, known types with wrong fields, unknown types), binary frames
with any tag and body, and any JSON body to /api/message leaves the server answering: no 5xx, no
closed socket, and afterwards the same connection still answers a plain request. The app server
in front of the shared hall (real Rasa), text only."""
from __future__ import annotations

import asyncio
import json
import threading

import aiohttp
import pytest
from aiohttp import web
from hypothesis import given
from hypothesis import strategies as st

from bot.app import make_app
from bot.kiosk.session import STALE_BUTTON

TYPES = ["hello", "text", "button", "playback_finished", "id_card", "nonsense", ""]
scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), st.text(max_size=40))
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                                          max_size=4), max_leaves=8)
protocol_json = st.builds(lambda kind, extra: json.dumps({"type": kind, **extra}),
                          st.sampled_from(TYPES) | st.text(max_size=12),
                          st.dictionaries(st.sampled_from(["text", "id", "rate", "camera", "mic", "consent", "source",
                                                           "display", "resume", "x"]), values, max_size=5))
text_frames = protocol_json | st.text(max_size=200) | st.just("{") | st.just("[]") | st.just("null")
binary_frames = st.builds(lambda tag, body: bytes([tag]) + body, st.integers(0, 255), st.binary(max_size=2048))
frames = st.lists(st.one_of(text_frames.map(lambda t: ("text", t)), binary_frames.map(lambda b: ("bytes", b))),
                  min_size=1, max_size=12)


async def still_answers(ws) -> None:
    """A tap on a button nobody offered: answered at once with the stale-button notice."""
    await ws.send_str(json.dumps({"type": "button", "id": "never-offered"}))
    while True:
        message = await ws.receive(timeout=20)
        assert message.type == aiohttp.WSMsgType.TEXT, f"socket closed or broken: {message}"
        data = json.loads(message.data)
        if data.get("type") == "notice" and data.get("text") == STALE_BUTTON:
            return


@pytest.fixture(scope="module")
def app_url(hall):
    """The app server (text only) on a free port, served by its own loop in a thread: hypothesis runs
    each example synchronously, so each example talks to it from a loop of its own."""
    loop, ready, box = asyncio.new_event_loop(), threading.Event(), {}

    async def start() -> None:
        runner = web.AppRunner(make_app(hall.settings))
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        box.update(runner=runner, port=site._server.sockets[0].getsockname()[1])
        ready.set()

    def serve() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(start())
        loop.run_forever()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    assert ready.wait(30)
    yield f"http://127.0.0.1:{box['port']}"
    asyncio.run_coroutine_threadsafe(box["runner"].cleanup(), loop).result(30)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(10)


@given(sequence=frames)
def test_any_frames_leave_the_kiosk_socket_answering(app_url, sequence):
    async def run() -> None:
        async with aiohttp.ClientSession() as client, client.ws_connect(f"{app_url}/ws/kiosk/fuzz-1") as ws:
            for kind, frame in sequence:
                await (ws.send_str(frame) if kind == "text" else ws.send_bytes(frame))
            await still_answers(ws)

    asyncio.run(run())


@given(body=st.dictionaries(st.sampled_from(["sender", "text", "button", "metadata", "x"]), values, max_size=4) | values)
def test_any_json_body_to_the_message_api_gets_an_answer_not_a_crash(app_url, body):
    async def run() -> None:
        async with aiohttp.ClientSession() as client, client.post(f"{app_url}/api/message", data=json.dumps(body),
                               headers={"Content-Type": "application/json"}) as response:
            assert response.status < 500, await response.text()
            assert isinstance(await response.json(), dict)

    asyncio.run(run())
