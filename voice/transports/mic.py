"""Local microphone and speaker through ALSA's arecord/aplay (alsa-utils), so no PortAudio
binding is needed; both commands are configurable (e.g. `parecord`/`paplay`, or `cat FILE`
in tests). Playback is cancelled on barge-in by killing the player."""
from __future__ import annotations

import asyncio
import shlex

from hallbot.settings import VoiceSettings

from ..events import BotAudio, PlaybackCancelled, VoiceEvent
from ..pipeline import VoiceSession

_CONFIGURED = VoiceSettings.from_env()
RECORD_CMD, PLAY_CMD = _CONFIGURED.mic_cmd, _CONFIGURED.speaker_cmd


class Speaker:
    def __init__(self, command: str = PLAY_CMD) -> None:
        self.command = command
        self._proc: asyncio.subprocess.Process | None = None
        self._rate = 0

    async def play(self, event: BotAudio) -> None:
        if self._proc is None or self._proc.returncode is not None or self._rate != event.sample_rate:
            await self.stop()
            self._rate = event.sample_rate
            self._proc = await asyncio.create_subprocess_exec(
                *shlex.split(self.command.format(rate=event.sample_rate)), stdin=asyncio.subprocess.PIPE)
        assert self._proc.stdin is not None
        self._proc.stdin.write(event.pcm)
        await self._proc.stdin.drain()

    async def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc and proc.returncode is None:
            proc.kill()
            await proc.wait()


async def run_mic(session: VoiceSession, *, record_cmd: str = RECORD_CMD, speaker: Speaker | None = None,
                  on_event=None, chunk_bytes: int = 640) -> None:
    """Feed the recorder's stdout into the session until it ends; play BotAudio."""
    proc = await asyncio.create_subprocess_exec(*shlex.split(record_cmd), stdout=asyncio.subprocess.PIPE)
    speaker = speaker or Speaker()

    async def consume() -> None:
        while True:
            event: VoiceEvent = await session.events.get()
            if on_event:
                on_event(event)
            if isinstance(event, BotAudio):
                await speaker.play(event)
            elif isinstance(event, PlaybackCancelled):
                await speaker.stop()

    consumer = asyncio.create_task(consume())
    try:
        assert proc.stdout is not None
        pending = b""
        while True:
            data = await proc.stdout.read(chunk_bytes)
            if not data:
                break
            data, pending = pending + data, b""
            if len(data) % 2:
                data, pending = data[:-1], data[-1:]
            await session.feed(data)
        await session.flush()
        await session.drain()
        await asyncio.sleep(0)
        while not session.events.empty():
            await asyncio.sleep(0.01)
    finally:
        consumer.cancel()
        await asyncio.gather(consumer, return_exceptions=True)
        if proc.returncode is None:
            proc.kill()
        await proc.wait()
        await speaker.stop()
        await session.close()
