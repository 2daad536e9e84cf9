from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import pytest

from vision.config import VisionConfig


@dataclass
class Screen:
    """An Outbox that records what the page would be sent."""
    messages: list[dict] = field(default_factory=list)
    audio: list[bytes] = field(default_factory=list)

    async def send_json(self, data: dict) -> None:
        self.messages.append(data)

    async def send_audio(self, pcm: bytes) -> None:
        self.audio.append(pcm)

    def of(self, kind: str) -> list[dict]:
        return [m for m in self.messages if m["type"] == kind]

    def bot_text(self) -> str:
        return "\n".join(m["text"] or "" for m in self.of("bot"))

    async def wait_for(self, predicate, timeout: float = 60.0, what: str = "") -> dict:
        loop = asyncio.get_running_loop()
        deadline, seen = loop.time() + timeout, 0
        while loop.time() < deadline:
            for m in self.messages[seen:]:
                if predicate(m):
                    return m
            await asyncio.sleep(0.05)
        raise AssertionError(f"timed out waiting for {what or predicate}; got {self.messages[-15:]}")


@pytest.fixture
def screen() -> Screen:
    return Screen()


@pytest.fixture(scope="session")
def hall_faces(hall):
    """The hall's face gallery with 李娜 (C000002) enrolled from the astronaut portrait."""
    from bot.commands import enrol_demo_face
    from vision.service import FaceService

    faces = FaceService(VisionConfig(var_dir=hall.settings.var_dir))
    assert enrol_demo_face(faces).ok
    yield faces
    faces.close()
