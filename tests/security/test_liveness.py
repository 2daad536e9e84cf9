"""Attack 5: the enrolled customer's photo held to the camera. From outside, through the real kiosk
WebSocket of the real app server (camera frames as the page sends them, 4 a second) with the real
Rasa and face service: a still photo, and a virtual camera looping one picture, identify nobody."""
from __future__ import annotations

import asyncio

import numpy as np
import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.app import make_app
from tests.kiosk.media import astronaut_portrait, in_frame
from tests.security.conftest import assert_nobody_identified, in_conversation
from vision.image_io import encode_jpeg
from vision.liveness.judge import CHALLENGE_S, PASSIVE_S

pytestmark = pytest.mark.models


@pytest.fixture
async def camera_app(hall, hall_faces, monkeypatch):
    """The app server as make_app builds it, its kiosks given the hall's face service (李娜 enrolled)."""
    from bot.kiosk import deps as kiosk_deps

    build = kiosk_deps.build

    def with_faces(*args, **kwargs):
        deps = build(*args, **kwargs)
        deps.faces = hall_faces
        return deps

    monkeypatch.setattr(kiosk_deps, "build", with_faces)
    client = TestClient(TestServer(make_app(hall.settings)))
    await client.start_server()
    yield client
    await client.close()


async def show_camera(client, kiosk: str, frames: list[bytes], seconds: float) -> tuple[list[dict], str]:
    ws = await client.ws_connect(f"/ws/kiosk/{kiosk}")
    got: list[dict] = []

    async def read() -> None:
        while True:
            msg = await ws.receive()
            if msg.type.name != "TEXT":
                if msg.type.name in ("CLOSE", "CLOSED", "CLOSING", "ERROR"):
                    return
                continue
            got.append(msg.json())

    reader = asyncio.create_task(read())
    try:
        await ws.send_json({"type": "hello", "rate": 16000, "camera": True, "mic": False})
        for i in range(int(seconds / 0.25)):
            await ws.send_bytes(b"\x02" + frames[i % len(frames)])
            await asyncio.sleep(0.25)
        await asyncio.sleep(3.0)   # the greeting of whatever the last frames caused
    finally:
        await ws.close()
        reader.cancel()
    return got, next(m["conversation_id"] for m in got if m["type"] == "state")


def noisy(rgb: np.ndarray, seed: int) -> bytes:
    rng = np.random.default_rng(seed)
    return encode_jpeg(np.clip(rgb + rng.normal(0, 2, rgb.shape), 0, 255).astype(np.uint8))


async def test_still_photo_at_the_camera_identifies_nobody(camera_app, hall):
    """A printed photo held still (camera noise, a little shake): challenged, then refused."""
    photo = in_frame(astronaut_portrait())
    frames = [noisy(np.roll(photo, dx, axis=1), i) for i, dx in enumerate((0, 1, 2, 1, 0, -1, -2, -1))]
    got, conversation = await show_camera(camera_app, "photo", frames, PASSIVE_S + CHALLENGE_S + 2.0)
    assert not [m for m in got if m["type"] == "customer" and m.get("customer_id")], got
    assert any(m["type"] == "notice" and m.get("component") == "liveness" for m in got), "the active challenge"
    assert not any("李" in (m.get("text") or "") for m in got if m["type"] == "bot"), "not greeted as 李娜"
    assert_nobody_identified(in_conversation(hall, conversation).slots())


async def test_virtual_camera_looping_one_picture_identifies_nobody(camera_app, hall):
    frame = encode_jpeg(in_frame(astronaut_portrait()))
    got, conversation = await show_camera(camera_app, "replay", [frame], 3.0)
    assert not [m for m in got if m["type"] == "customer" and m.get("customer_id")], got
    assert not any("李" in (m.get("text") or "") for m in got if m["type"] == "bot")
    assert_nobody_identified(in_conversation(hall, conversation).slots())
