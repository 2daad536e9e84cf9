import asyncio
import json
import subprocess
import sys

import numpy as np
import pytest

from voice import audio as A
from voice.events import BotAudio, StageTimings, Transcript
from voice.pipeline import PipelineConfig, VoicePipeline

from .conftest import DATA

REPO = DATA.parents[2]


def hallbot(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bot.cli", *args], cwd=REPO, capture_output=True, text=True, timeout=120)


@pytest.mark.models
def test_cli_say_then_transcribe_round_trip(tmp_path):
    out = tmp_path / "out.wav"
    r = hallbot("say", "我想查一下这个月的电费。", "-o", str(out))
    assert r.returncode == 0, r.stderr
    assert "24000 Hz" in r.stdout and "GetPrototype" not in r.stderr
    audio = A.load(out)
    assert audio.rate == 24000 and audio.duration > 1.0
    r = hallbot("transcribe", str(out), "--json")
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert "电费" in data["text"] and data["rtf"] > 0


@pytest.mark.models   # transcribing the silent file loads Whisper
def test_cli_errors_are_clear(tmp_path):
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"not audio at all")
    r = hallbot("transcribe", str(bad))
    assert r.returncode == 2 and "not a readable audio file" in r.stderr
    silent = tmp_path / "silent.wav"
    A.write_wav(silent, np.random.default_rng(0).normal(0, 0.001, 16000), 16000)
    r = hallbot("transcribe", str(silent))
    assert r.returncode == 0 and r.stdout.strip() == ""  # no invented text on speech-free audio
    r = hallbot("say", "   ", "-o", str(tmp_path / "x.wav"))
    assert r.returncode == 2 and "empty text" in r.stderr
    r = hallbot("voice", "--url", "http://127.0.0.1:9")  # nothing listens there
    assert r.returncode == 2 and "not running" in r.stderr


async def echo_bot(session_id: str, text: str) -> list[str]:
    return [f"您说的是{text}"] if text else []


async def test_websocket_transport(transcriber, tts):
    from aiohttp import web
    from aiohttp.test_utils import TestClient, TestServer

    from voice.transports.websocket import add_routes

    pipeline = VoicePipeline(echo_bot, transcriber=transcriber, tts=tts, config=PipelineConfig())
    app = web.Application()
    add_routes(app, pipeline)
    async with TestClient(TestServer(app)) as client:
        ws = await client.ws_connect("/ws/voice/kiosk-7")
        await ws.send_str(json.dumps({"type": "hello", "rate": 48000}))  # browser capture rate
        audio48 = A.resample(A.to_pipeline(A.load(DATA / "domain_07.wav")), 16000, 48000)
        audio48 = np.concatenate([audio48, np.zeros(48000, np.float32)])
        for i in range(0, len(audio48), 960):  # 20 ms packets like an AudioWorklet
            await ws.send_bytes(A.float_to_pcm16(audio48[i:i + 960]))
        await ws.send_str("{not json")
        seen, pcm = [], b""
        async with asyncio.timeout(60):
            while True:
                msg = await ws.receive()
                if msg.type.name == "TEXT":
                    event = json.loads(msg.data)
                    seen.append(event)
                    if event["type"] == "StageTimings":
                        break
                elif msg.type.name == "BINARY":
                    pcm += msg.data
        types = [e["type"] for e in seen]
        assert "VoiceError" in types and "bad message" in next(e for e in seen if e["type"] == "VoiceError")["message"]
        transcript = next(e for e in seen if e["type"] == "Transcript")
        assert transcript["session_id"] == "kiosk-7" and "发票" in transcript["text"]
        audio_events = [e for e in seen if e["type"] == "BotAudio"]
        assert sum(e["bytes"] for e in audio_events) == len(pcm) > 16000
        await ws.close()


async def test_mic_transport_with_a_recorder_command(transcriber, tts, tmp_path):
    from voice.transports.mic import Speaker, run_mic

    raw = tmp_path / "mic.raw"
    audio = np.concatenate([A.to_pipeline(A.load(DATA / "domain_05.wav")), np.zeros(16000, np.float32)])
    raw.write_bytes(A.float_to_pcm16(audio))
    played = tmp_path / "played.raw"
    pipeline = VoicePipeline(echo_bot, transcriber=transcriber, tts=tts, config=PipelineConfig())
    events = []
    await run_mic(pipeline.session("mic"), record_cmd=f"cat {raw}",
                  speaker=Speaker(f"sh -c 'cat >> {played}'"), on_event=events.append)
    assert any(isinstance(e, Transcript) and "峰谷电价" in e.text for e in events), events
    assert any(isinstance(e, StageTimings) for e in events)
    await asyncio.sleep(0.2)
    sent = sum(len(e.pcm) for e in events if isinstance(e, BotAudio))
    assert sent > 0 and played.stat().st_size == sent
