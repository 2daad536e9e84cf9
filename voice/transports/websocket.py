"""Kiosk browser <-> pipeline over an aiohttp WebSocket.

Protocol (browser side: getUserMedia with echoCancellation, an AudioWorklet sending PCM16):
- client -> server binary: PCM16 little-endian mono at `rate` (default 16 kHz; 8/24/48 kHz are
  resampled). Text JSON: {"type": "hello", "rate": 48000} to set the rate,
  {"type": "playback_finished"} when the speaker has drained, {"type": "say", "text": ...}.
- server -> client: JSON of every event (VoiceEvent.to_dict()); each BotAudio's JSON is
  followed by one binary frame with its PCM16. On PlaybackCancelled the page must flush its
  playback buffer (that is what makes barge-in audible within 200 ms).
"""
from __future__ import annotations

import asyncio
import json
import logging

from .. import audio as A
from ..events import BotAudio, VoiceError
from ..pipeline import VoicePipeline

log = logging.getLogger(__name__)


async def serve_session(ws, pipeline: VoicePipeline, session_id: str) -> None:
    """Run one session on an open aiohttp.web.WebSocketResponse until it closes."""
    from aiohttp import WSMsgType

    session = pipeline.session(session_id)
    resampler = A.StreamResampler(A.PIPELINE_RATE, A.PIPELINE_RATE)

    async def pump_events() -> None:
        while True:
            event = await session.events.get()
            await ws.send_str(json.dumps(event.to_dict(), ensure_ascii=False))
            if isinstance(event, BotAudio):
                await ws.send_bytes(event.pcm)

    pump = asyncio.create_task(pump_events())
    try:
        async for msg in ws:
            if msg.type == WSMsgType.BINARY:
                try:
                    await session.feed_audio(resampler.push(A.pcm16_to_float(msg.data)))
                except A.AudioError as exc:
                    await ws.send_str(json.dumps(VoiceError(session_id, str(exc)).to_dict()))
            elif msg.type == WSMsgType.TEXT:
                try:
                    data = json.loads(msg.data)
                    kind = data.get("type")
                    if kind == "hello":
                        resampler = A.StreamResampler(int(data.get("rate", A.PIPELINE_RATE)), A.PIPELINE_RATE)
                    elif kind == "playback_finished":
                        session.playback_finished()
                    elif kind == "say":
                        asyncio.create_task(session.say(str(data["text"])))
                    else:
                        raise ValueError(f"unknown message type {kind!r}")
                except (ValueError, KeyError, TypeError, A.AudioError) as exc:
                    await ws.send_str(json.dumps(VoiceError(session_id, f"bad message: {exc}").to_dict()))
            elif msg.type in (WSMsgType.ERROR, WSMsgType.CLOSE):
                break
    finally:
        await session.close()
        await asyncio.sleep(0)
        while not session.events.empty() and not ws.closed:  # last events (e.g. cancellations)
            event = session.events.get_nowait()
            await ws.send_str(json.dumps(event.to_dict(), ensure_ascii=False))
        pump.cancel()
        await asyncio.gather(pump, return_exceptions=True)


def add_routes(app, pipeline: VoicePipeline, path: str = "/ws/voice/{session_id}") -> None:
    """Mount the voice WebSocket on an aiohttp app (the app server may call this)."""
    from aiohttp import web

    async def handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(max_msg_size=1 << 20)
        await ws.prepare(request)
        await serve_session(ws, pipeline, request.match_info["session_id"])
        return ws

    app.router.add_get(path, handler)
