"""The speech service: ASR and TTS models in their own supervised process, over HTTP.

Several kiosks (app servers) share one set of models, and a kiosk survives the service
restarting (voice/remote.py turns "service down" into a clear error for that turn only).

    GET  /health  -> {"asr": "ok", "tts": "ok", "sample_rate": ..., ...}   (200 once models are warm)
    POST /asr     body: PCM16 LE mono 16 kHz (application/octet-stream), ?language=zh
                  -> {"text", "raw_text", "language", "audio_s", "elapsed_s", "segments"}
    POST /tts     {"text": "...", "lang": optional} -> PCM16 LE mono, header X-Sample-Rate
    bad input -> 400 {"error": "中文 / English", "code": ...}
    /asr and /tts need `Authorization: Bearer <var/speech.token>` (401 otherwise); /health is open.

Run: `hallbot speech-server [--host --port]` or `python -m voice.server` (HALLBOT_SPEECH_PORT, 5070).
"""
from __future__ import annotations

import argparse
import asyncio
import dataclasses
import functools
import hmac
import json
import logging
import re
import time

import numpy as np
from aiohttp import web

from . import audio as A
from .engines import Recognizer
from .tts.base import TTSEngine

log = logging.getLogger(__name__)

MAX_ASR_S = 60.0
MAX_ASR_BYTES = int(MAX_ASR_S * A.PIPELINE_RATE) * 2
MAX_TTS_CHARS = 500
# Warm-up sentences: the first synthesis of each voice builds its graph (seconds on 2 cores).
WARM_TEXTS = ("您好，欢迎光临。", "Hello.")
_LANGUAGE = re.compile(r"^[a-z]{2,3}([-_][A-Za-z]{2,4})?$")

# the service's own models (local): any Recognizer; a TTSEngine, whose name and languages /health reports
TRANSCRIBER: web.AppKey[Recognizer] = web.AppKey("transcriber")
TTS: web.AppKey[TTSEngine] = web.AppKey("tts")
LOCKS = web.AppKey("locks", dict)


_json = functools.partial(web.json_response, dumps=functools.partial(json.dumps, ensure_ascii=False))


def _bad(code: str, zh: str, en: str, status: int = 400) -> web.Response:
    return _json({"error": f"{zh} / {en}", "code": code}, status=status)


async def handle_health(request: web.Request) -> web.Response:
    tts = request.app[TTS]
    return _json({"asr": "ok", "tts": "ok", "sample_rate": int(tts.sample_rate),
                              "tts_engine": tts.name, "languages": list(tts.languages),
                              "max_asr_s": MAX_ASR_S, "max_tts_chars": MAX_TTS_CHARS})


async def handle_asr(request: web.Request) -> web.Response:
    language = request.query.get("language") or None
    if language is not None and not _LANGUAGE.match(language):
        return _bad("bad_language", f"不支持的语言代码 {language!r}", f"unsupported language code {language!r} (e.g. zh, en)")
    if request.content_length is not None and request.content_length > MAX_ASR_BYTES:
        return _too_long(request.content_length)
    try:
        body = await request.read()
    except web.HTTPRequestEntityTooLarge:
        return _too_long(None)
    if not body:
        return _bad("empty_audio", "音频为空", "empty audio: send PCM16 LE mono 16 kHz in the request body")
    if len(body) % 2:
        return _bad("odd_length", f"音频数据长度为奇数（{len(body)} 字节），不是完整的 16 位采样",
                    f"PCM16 body has an odd number of bytes ({len(body)}): samples must be whole 16-bit values")
    if len(body) > MAX_ASR_BYTES:
        return _too_long(len(body))
    audio = A.pcm16_to_float(body)
    async with request.app[LOCKS]["asr"]:
        try:
            result = await asyncio.to_thread(request.app[TRANSCRIBER].transcribe, audio, language=language)
        except ValueError as exc:  # e.g. a language Whisper does not know
            return _bad("asr_rejected", "无法识别该请求", f"ASR rejected the request: {exc}")
    return _json(dataclasses.asdict(result))


def _too_long(size: int | None) -> web.Response:
    seconds = f"{size / 2 / A.PIPELINE_RATE:.1f} s" if size else "unknown length"
    return _bad("too_long", f"音频过长（最长 {MAX_ASR_S:.0f} 秒）",
                f"audio too long ({seconds}; at most {MAX_ASR_S:.0f} s of 16 kHz PCM16)")


async def handle_tts(request: web.Request) -> web.Response:
    from .tts import TTSError

    try:
        payload = await request.json()
    except ValueError:
        return _bad("bad_json", "请求不是有效的 JSON", 'body must be JSON: {"text": "...", "lang": "zh"}')
    if not isinstance(payload, dict) or not isinstance(payload.get("text"), str):
        return _bad("no_text", "缺少要合成的文字", 'JSON needs a "text" string')
    text = payload["text"].strip()
    lang = payload.get("lang")
    engine = request.app[TTS]
    if not text:
        return _bad("empty_text", "要合成的文字为空", "empty text: nothing to say")
    if len(text) > MAX_TTS_CHARS:
        return _bad("too_long", f"文字过长（最多 {MAX_TTS_CHARS} 字）",
                    f"text too long ({len(text)} chars; at most {MAX_TTS_CHARS}, send sentence by sentence)")
    languages = tuple(engine.languages)
    if lang is not None and (not isinstance(lang, str) or (languages and lang not in languages)):
        return _bad("bad_language", f"不支持的语言 {lang!r}", f"unsupported lang {lang!r} (this service speaks {', '.join(languages)})")
    voice = engine.engine_for(text)  # zh/en routing stays with the engine, as in-process
    async with request.app[LOCKS]["tts"]:
        try:
            audio = await asyncio.to_thread(voice.synthesize, text)
        except TTSError as exc:
            return _bad("tts_rejected", "无法合成这段文字", f"TTS rejected the text: {exc}")
    audio = np.asarray(audio, dtype=np.float32)
    return web.Response(body=A.float_to_pcm16(audio), content_type="application/octet-stream",
                        headers={"X-Sample-Rate": str(int(voice.sample_rate)),
                                 "X-Engine": str(voice.name),
                                 "X-Audio-Seconds": f"{len(audio) / voice.sample_rate:.3f}"})


def load_models(transcriber: Recognizer | None = None, tts: TTSEngine | None = None, *,
                warm: bool = True) -> tuple[Recognizer, TTSEngine]:
    """Load (unless given) and warm both models; blocking, seconds on 2 cores."""
    from .asr import get_transcriber
    from .tts import get_engine

    started = time.monotonic()
    transcriber = transcriber or get_transcriber()
    tts = tts or get_engine()
    if warm:
        transcriber.warm()
        for text in WARM_TEXTS:
            voice = tts.engine_for(text)
            voice.synthesize(text)
    log.info("speech models ready in %.1f s", time.monotonic() - started)
    return transcriber, tts


def require_token(token: str):
    """Only callers with the service's token may use the models (what is said in the hall is private)."""
    expected = f"Bearer {token}".encode()

    @web.middleware
    async def check(request: web.Request, handler):
        if request.path != "/health" and not hmac.compare_digest(
                request.headers.get("Authorization", "").encode(), expected):
            return _bad("unauthorised", "需要语音服务令牌", "speech service token required", status=401)
        return await handler(request)

    return check


def make_speech_app(transcriber: Recognizer | None = None, tts: TTSEngine | None = None, *, warm: bool = True, token: str | None = None) -> web.Application:
    """Models not given are loaded (and warmed) at start-up, before the port serves requests,
    so /health answers 200 only when both are usable. token: required of every caller but /health
    (serve() always sets it; None only for in-process tests)."""
    app = web.Application(client_max_size=MAX_ASR_BYTES + 64 * 1024,
                          middlewares=[require_token(token)] if token else [])
    app[LOCKS] = {"asr": asyncio.Lock(), "tts": asyncio.Lock()}  # one decode per model at a time

    async def startup(app: web.Application) -> None:
        app[TRANSCRIBER], app[TTS] = await asyncio.to_thread(load_models, transcriber, tts, warm=warm)

    app.on_startup.append(startup)
    app.router.add_get("/health", handle_health)
    app.router.add_post("/asr", handle_asr)
    app.router.add_post("/tts", handle_tts)
    return app


def serve(host: str | None = None, port: int | None = None) -> int:
    from hallbot.settings import load

    settings = load()
    host, port = host or settings.host, port or settings.speech_port
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    print(f"speech service: loading and warming models, then serving on http://{host}:{port}", flush=True)
    from identity import keys

    app = make_speech_app(token=keys.secret(keys.SPEECH_TOKEN, settings.var_dir))
    web.run_app(app, host=host, port=port, print=None, access_log=None)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m voice.server", description="hallbot speech service (ASR + TTS)")
    parser.add_argument("--host", default=None, help="default HALLBOT_HOST (127.0.0.1)")
    parser.add_argument("--port", type=int, default=None, help="default HALLBOT_SPEECH_PORT (5070)")
    args = parser.parse_args(argv)
    return serve(args.host, args.port)


if __name__ == "__main__":
    raise SystemExit(main())
