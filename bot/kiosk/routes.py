"""Kiosk transport: the page and one WebSocket per kiosk screen (`/ws/kiosk/{kiosk_id}`).

Browser -> server
  binary  0x01 + PCM16 LE mono at the hello rate (microphone)
          0x02 + JPEG (camera frame: 4 per second while looking for a face, 1 while serving)
  text    {"type": "hello", "rate": 48000, "camera": true, "mic": true}
          {"type": "text", "text": "...", "source": "keyboard" | "keypad", "id": "...", "retry": false}
                (always text for the NLU; id: the page's id of the turn, 8-64 of A-Z a-z 0-9 _ -;
                the page sends an unanswered turn again after a reconnect with the same id and
                retry true, and the dialogue handles it once: rasa_addons/turn_ledger.py)
          {"type": "button", "id": "...", "display": "..."}  (the id of a button the server offered)
          {"type": "playback_finished"}
          {"type": "id_card", "consent": true}
          {"type": "rating", "score": 3 | 2 | 1 | null}  (the farewell question; null = skipped)
Server -> browser: the JSON of bot.kiosk.messages; an "audio" message is followed by one
binary frame of PCM16 mono at its sample_rate."""
from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path

from aiohttp import WSMsgType, web

from bot.rasa_client import MESSAGE_ID
from bot.visits import RATINGS

from . import messages as M
from .limits import KioskLimits, TokenBucket
from .session import KioskDeps, KioskSession

log = logging.getLogger(__name__)
STATIC = Path(__file__).resolve().parent.parent / "static"
AUDIO, FRAME = 0x01, 0x02
MAX_TEXT = 500
KIOSKS = web.AppKey("kiosks", dict)
DEPS = web.AppKey("kiosk_deps", KioskDeps)
LIMITS = web.AppKey("kiosk_limits", KioskLimits)
TOO_FAST = "操作太频繁，请稍等片刻再试。"


class WebSocketOutbox:
    """Sends to one page; a closed socket just drops messages (the session ends on its own)."""

    def __init__(self, ws: web.WebSocketResponse) -> None:
        self.ws = ws

    async def send_json(self, data: dict) -> None:
        if not self.ws.closed:
            try:
                await self.ws.send_str(json.dumps(data, ensure_ascii=False))
            except (ConnectionError, RuntimeError):
                pass

    async def send_audio(self, pcm: bytes) -> None:
        if not self.ws.closed:
            try:
                await self.ws.send_bytes(pcm)
            except (ConnectionError, RuntimeError):
                pass


def _kiosk_id(raw: str) -> str:
    kiosk_id = "".join(c for c in raw if c.isalnum() or c in "-_")[:32]
    if not kiosk_id:
        raise web.HTTPBadRequest(text="kiosk id: letters, digits, - and _ only")
    return kiosk_id


async def kiosk_socket(request: web.Request) -> web.WebSocketResponse:
    from voice import audio as A

    kiosk_id = _kiosk_id(request.match_info["kiosk_id"])
    limits, kiosks = request.app[LIMITS], request.app[KIOSKS]
    if len(kiosks) >= limits.max_connections:      # refused before the upgrade: nothing allocated
        log.warning("kiosk %s refused: %d kiosk connections open (HALLBOT_KIOSK_MAX_CONNECTIONS)",
                    kiosk_id, len(kiosks))
        raise web.HTTPServiceUnavailable(text="too many kiosk connections", headers={"Retry-After": "5"})
    # an oversized message closes the socket (1009) before it is buffered; the page reconnects
    ws = web.WebSocketResponse(max_msg_size=limits.max_msg_size, heartbeat=20)
    await ws.prepare(request)
    out = WebSocketOutbox(ws)
    session = KioskSession(kiosk_id, request.app[DEPS], out)
    kiosks[session.key] = session
    resampler = A.StreamResampler(A.PIPELINE_RATE, A.PIPELINE_RATE)
    bucket = TokenBucket(limits.text_per_s, limits.text_burst)
    queued: set[asyncio.Task] = set()
    log.info("kiosk %s connected (%s)", kiosk_id, session.key)

    async def queue(coro) -> None:
        """A dialogue-bound message: rate limited, and at most max_queued wait for their turn."""
        if len(queued) >= limits.max_queued or not bucket.take():
            coro.close()
            await out.send_json(M.Notice("warning", TOO_FAST, "protocol").to_dict())
            return
        task = session.spawn(coro)
        queued.add(task)
        task.add_done_callback(queued.discard)

    await session.start()
    try:
        async for msg in ws:
            if msg.type == WSMsgType.BINARY and msg.data:
                tag, body = msg.data[0], msg.data[1:]
                if tag == AUDIO:
                    try:
                        await session.audio(resampler.push(A.pcm16_to_float(body)))
                    except (A.AudioError, ValueError) as exc:
                        await out.send_json(M.Notice("error", f"麦克风数据无法识别：{exc}", "audio").to_dict())
                elif tag == FRAME:
                    if len(body) > limits.max_frame_bytes:
                        await out.send_json(M.Notice("error", f"camera frame too large ({len(body)} bytes)",
                                                     "camera").to_dict())
                    else:
                        session.frame(bytes(body))
                else:
                    await out.send_json(M.Notice("error", f"unknown binary tag {tag}", "protocol").to_dict())
            elif msg.type == WSMsgType.TEXT:
                try:
                    data = json.loads(msg.data)
                    kind = data.get("type")
                    if kind == "hello":
                        resampler = A.StreamResampler(int(data.get("rate") or A.PIPELINE_RATE), A.PIPELINE_RATE)
                        session.hello(bool(data.get("camera")), bool(data.get("mic")))
                        if data.get("resume"):
                            await session.resume(str(data["resume"])[:200])
                    elif kind == "text":
                        text = str(data.get("text") or "")[:MAX_TEXT]
                        source = "keypad" if data.get("source") == "keypad" else "keyboard"
                        turn = data.get("id")
                        if turn is not None and not (isinstance(turn, str) and MESSAGE_ID.match(turn)):
                            raise ValueError("id: 8-64 letters, digits, - or _")
                        await queue(session.text(text, source, display=str(data.get("display") or "")[:64] or None,
                                                 message_id=turn, retry=data.get("retry") is True and bool(turn)))
                    elif kind == "button":
                        await queue(session.button(str(data.get("id") or "")[:64],
                                                   display=str(data.get("display") or "")[:64] or None))
                    elif kind == "playback_finished":
                        session.playback_finished()
                    elif kind == "id_card":
                        await queue(session.id_card_placed(bool(data.get("consent"))))
                    elif kind == "rating":
                        score = data.get("score")
                        if score is not None and (type(score) is not int or score not in RATINGS):
                            raise ValueError(f"score: one of {sorted(RATINGS)} or null (skipped)")
                        await queue(session.rate(score))
                    else:
                        raise ValueError(f"unknown message type {kind!r}")
                except (ValueError, TypeError, AttributeError, A.AudioError) as exc:
                    await out.send_json(M.Notice("error", f"bad message: {exc}", "protocol").to_dict())
            elif msg.type in (WSMsgType.ERROR, WSMsgType.CLOSE):
                break
    finally:
        request.app[KIOSKS].pop(session.key, None)
        await session.close()
        log.info("kiosk %s disconnected (%s)", kiosk_id, session.key)
    return ws


async def kiosk_page(request: web.Request) -> web.FileResponse:
    return web.FileResponse(STATIC / "kiosk.html", headers={"Cache-Control": "no-cache"})


def add_routes(app: web.Application, deps: KioskDeps, limits: KioskLimits | None = None) -> None:
    limits = limits or KioskLimits.from_env()
    if deps.frame_gate is None:
        deps.frame_gate = asyncio.Semaphore(limits.decode_workers)
    app[DEPS] = deps
    app[LIMITS] = limits
    app[KIOSKS] = {}
    app.router.add_get("/kiosk", kiosk_page)
    app.router.add_get("/ws/kiosk/{kiosk_id}", kiosk_socket)
    app.router.add_static("/static/", STATIC, append_version=False)
