"""What one kiosk connection may cost, through the real WebSocket route on a running aiohttp app
(fake Rasa and face service): a connection cap, a frame-size cap, one frame worker per kiosk with
the newest frame next, a decoder gate shared by all kiosks, and bounded text messages."""
from __future__ import annotations

import asyncio
import json

import aiohttp
import pytest
from aiohttp import WSCloseCode, web
from aiohttp.test_utils import TestServer

from bot.kiosk import routes
from bot.kiosk.limits import KioskLimits, TokenBucket
from bot.kiosk.session import KioskDeps
from bot.rasa_client import Turn

FRAME = bytes([routes.FRAME])


class FakeRasa:
    def __init__(self) -> None:
        self.sent: list[str] = []
        self.ids: list[tuple[str | None, bool]] = []
        self.release = asyncio.Event()

    async def send_turn(self, sender, text, message_id=None, retry=False, metadata=None):
        self.sent.append(text)
        self.ids.append((message_id, retry))
        await self.release.wait()
        return Turn([])

    async def trigger_turn(self, sender, intent, entities=None):
        return Turn([])

    async def trigger_intent(self, sender, intent, entities=None):
        return []

    async def tracker(self, sender, include_events="NONE"):
        return {"slots": {}}


class FakeFaces:
    """Records which frames are analysed and how many at once; each waits for `release`."""

    def __init__(self) -> None:
        self.frames: list[bytes] = []
        self.busy = self.most_busy = 0
        self.release = asyncio.Event()
        self.started = asyncio.Event()

    async def process_frame_async(self, key, frame, ts=None):
        self.frames.append(frame)
        self.busy += 1
        self.most_busy = max(self.most_busy, self.busy)
        self.started.set()
        try:
            await self.release.wait()
        finally:
            self.busy -= 1
        return []

    def end_session(self, key):
        pass


@pytest.fixture
async def kiosk_app():
    servers = []

    async def start(limits: KioskLimits, faces=None):
        rasa = FakeRasa()
        app = web.Application()
        routes.add_routes(app, KioskDeps(rasa=rasa, faces=faces), limits)
        server = TestServer(app, host="127.0.0.1")
        await server.start_server()
        servers.append((server, rasa, faces))
        return str(server.make_url("/ws/kiosk")), rasa

    yield start
    for server, rasa, faces in servers:
        rasa.release.set()
        if faces:
            faces.release.set()
        await server.close()


async def until(predicate, what: str) -> None:
    for _ in range(400):
        if predicate():
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"timed out: {what}")


async def test_connection_cap(kiosk_app):
    url, _ = await kiosk_app(KioskLimits(max_connections=2))
    async with aiohttp.ClientSession() as s:
        a, b = await s.ws_connect(f"{url}/K1"), await s.ws_connect(f"{url}/K2")
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await s.ws_connect(f"{url}/K3")
        assert refused.value.status == 503
        await a.close()
        for _ in range(100):                 # a slot frees when a kiosk leaves
            try:
                c = await s.ws_connect(f"{url}/K3")
                break
            except aiohttp.WSServerHandshakeError:
                await asyncio.sleep(0.01)
        await c.close()
        await b.close()


async def test_oversized_frame_closes_the_socket_before_it_is_buffered(kiosk_app):
    url, _ = await kiosk_app(KioskLimits(max_frame_bytes=1000), faces=FakeFaces())
    async with aiohttp.ClientSession() as s:
        ws = await s.ws_connect(f"{url}/K1")
        await ws.send_bytes(FRAME + b"\xff" * 5000)
        while (await ws.receive(timeout=10)).type not in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED):
            pass
        assert ws.close_code == WSCloseCode.MESSAGE_TOO_BIG


async def test_one_frame_worker_per_kiosk_newest_frame_next(kiosk_app):
    faces = FakeFaces()
    url, _ = await kiosk_app(KioskLimits(), faces=faces)
    async with aiohttp.ClientSession() as s:
        ws = await s.ws_connect(f"{url}/K1")
        await ws.send_bytes(FRAME + b"f1")
        await asyncio.wait_for(faces.started.wait(), 10)
        for n in range(2, 6):                                   # arrive while f1 is analysed
            await ws.send_bytes(FRAME + f"f{n}".encode())
        await ws.send_str(json.dumps({"type": "playback_finished"}))   # a round trip: all frames are in
        await asyncio.sleep(0.05)
        assert faces.frames == [b"f1"] and faces.most_busy == 1
        faces.release.set()
        await until(lambda: len(faces.frames) == 2, "the newest frame")
        await asyncio.sleep(0.05)
        assert faces.frames == [b"f1", b"f5"]                   # f2-f4 dropped, never queued
        await ws.close()


async def test_kiosks_share_a_bounded_decoder(kiosk_app):
    faces = FakeFaces()
    url, _ = await kiosk_app(KioskLimits(decode_workers=1), faces=faces)
    async with aiohttp.ClientSession() as s:
        kiosks = [await s.ws_connect(f"{url}/K{n}") for n in range(3)]
        for ws in kiosks:
            await ws.send_bytes(FRAME + b"frame")
        await asyncio.wait_for(faces.started.wait(), 10)
        await asyncio.sleep(0.1)
        assert faces.busy == 1                                   # three kiosks, one decode at a time
        faces.release.set()
        await until(lambda: len(faces.frames) == 3, "every kiosk's frame")
        assert faces.most_busy == 1
        for ws in kiosks:
            await ws.close()


async def test_text_messages_are_rate_limited_and_bounded(kiosk_app):
    """Before: every text message spawned a task, 20 messages = 20 queued dialogue turns."""
    url, rasa = await kiosk_app(KioskLimits(max_queued=4, text_burst=6))
    async with aiohttp.ClientSession() as s:
        ws = await s.ws_connect(f"{url}/K1")
        for n in range(20):
            await ws.send_str(json.dumps({"type": "text", "text": f"第{n}句", "source": "keyboard"}))
        notices = []
        while len(notices) < 16:
            msg = json.loads((await ws.receive(timeout=10)).data)
            if msg["type"] == "notice" and msg["component"] == "protocol":
                notices.append(msg)
        assert all("太频繁" in n["text"] for n in notices)
        rasa.release.set()
        await until(lambda: len(rasa.sent) == 4, "the queued turns")
        await asyncio.sleep(0.05)
        assert rasa.sent == ["第0句", "第1句", "第2句", "第3句"]
        await ws.close()


async def test_the_pages_turn_id_reaches_the_dialogue_and_a_bad_one_is_refused(kiosk_app):
    url, rasa = await kiosk_app(KioskLimits())
    rasa.release.set()
    async with aiohttp.ClientSession() as s:
        ws = await s.ws_connect(f"{url}/K1")
        await ws.send_str(json.dumps({"type": "text", "text": "一", "id": "page-turn-0001"}))
        await ws.send_str(json.dumps({"type": "text", "text": "一", "id": "page-turn-0001", "retry": True}))
        await ws.send_str(json.dumps({"type": "text", "text": "二", "id": "bad id!"}))
        await ws.send_str(json.dumps({"type": "text", "text": "三"}))
        await until(lambda: len(rasa.sent) == 3, "the good turns")
        assert rasa.sent == ["一", "一", "三"]
        assert rasa.ids[:2] == [("page-turn-0001", False), ("page-turn-0001", True)]
        assert rasa.ids[2][0] and rasa.ids[2][0] != "page-turn-0001" and rasa.ids[2][1] is False   # the session's own
        while True:
            msg = json.loads((await ws.receive(timeout=10)).data)
            if msg["type"] == "notice" and msg["component"] == "protocol":
                assert "id" in msg["text"]
                break
        await ws.close()


def test_token_bucket_refills_with_time():
    now = [0.0]
    bucket = TokenBucket(2.0, 3, clock=lambda: now[0])
    assert [bucket.take() for _ in range(4)] == [True, True, True, False]
    now[0] += 0.5
    assert bucket.take() and not bucket.take()
