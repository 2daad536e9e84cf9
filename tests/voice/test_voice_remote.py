"""The speech service (voice/server.py) and its clients (voice/remote.py) with the real models:
remote ASR/TTS give what the local engines give, bad input gets a clear 400, a service that is
down gives SpeechServiceUnavailable, and a supervised service that restarts works again."""
import asyncio
import os
import signal
import socket
import threading

import httpx
import numpy as np
import pytest
from aiohttp import web

from bot.commands import build_services
from bot.supervisor import Supervisor, free_port
from hallbot.settings import Settings
from identity import keys
from voice import audio as A
from voice.asr import ASRResult
from voice.events import BotAudio, BotText, Transcript, VoiceError
from voice.pipeline import PipelineConfig, VoicePipeline
from voice.remote import RemoteTranscriber, RemoteTTS, SpeechRequestError, SpeechServiceUnavailable, engines_from_env
from voice.server import make_speech_app
from voice.transports.file import run_file

from .conftest import DATA

CLIPS = [f"domain_0{i}.wav" for i in range(1, 9)]
ZH = "您好，请问您要办理什么业务？"
EN = "Please wait a moment."


def clip(name: str) -> np.ndarray:
    """A test clip as the speech service receives it: PCM16 on the wire. The local reference must
    hear the same samples: Whisper's last token ("。" or not) can flip on the rounding to 16 bits."""
    return A.pcm16_to_float(A.float_to_pcm16(A.to_pipeline(A.load(DATA / name))))


class ThreadServer:
    """The speech app on its own event loop in a background thread (models shared with the test)."""

    def __init__(self, app: web.Application) -> None:
        self.app, self.port = app, free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        runner = web.AppRunner(self.app, access_log=None)
        try:
            self.loop.run_until_complete(runner.setup())
            self.loop.run_until_complete(web.TCPSite(runner, "127.0.0.1", self.port).start())
        except BaseException as exc:  # noqa: BLE001 - surfaced by start()
            self._error = exc
            self._ready.set()
            return
        self._ready.set()
        self.loop.run_forever()
        self.loop.run_until_complete(runner.cleanup())
        self.loop.close()

    def start(self) -> "ThreadServer":
        self._thread.start()
        self._ready.wait(120)
        if self._error:
            raise self._error
        return self

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(30)


@pytest.fixture(scope="module")
def server(transcriber, tts):
    srv = ThreadServer(make_speech_app(transcriber, tts, warm=False)).start()
    yield srv
    srv.stop()


@pytest.fixture
def down_url():
    return f"http://127.0.0.1:{free_port()}"  # nothing listens there


class Bot:
    """Stands in for Rasa (the pipeline's injected respond)."""

    def __init__(self):
        self.heard: list[str] = []

    async def __call__(self, session_id: str, text: str) -> list[str]:
        self.heard.append(text)
        return ["您本月电费是128.50元。"] if "电费" in text else ["好的。"]


# --- the service over HTTP ---------------------------------------------------------------------

def test_health_reports_both_models(server, tts):
    r = httpx.get(f"{server.url}/health")
    assert r.status_code == 200
    body = r.json()
    assert body["asr"] == "ok" and body["tts"] == "ok"
    assert body["sample_rate"] == tts.sample_rate and set(body["languages"]) >= {"zh", "en"}


@pytest.mark.parametrize("name", CLIPS)
def test_remote_transcription_equals_local(server, transcriber, name):
    audio = clip(name)
    local = transcriber.transcribe(audio)
    remote = RemoteTranscriber(server.url).transcribe(audio)
    assert isinstance(remote, ASRResult)
    assert remote.text and remote.text == local.text
    assert remote.raw_text == local.raw_text and remote.language == local.language == "zh"
    assert remote.audio_s == pytest.approx(len(audio) / 16000)


def test_remote_transcription_passes_language(server, transcriber):
    audio = clip("domain_01.wav")
    assert RemoteTranscriber(server.url).transcribe(audio, language="zh").text == transcriber.transcribe(audio, language="zh").text
    assert RemoteTranscriber(server.url).transcribe(np.zeros(16000, np.float32)).text == ""  # VAD gate, as local


def test_remote_tts_routes_zh_and_en(server, zh_engine, en_engine):
    remote = RemoteTTS(server.url)
    for text, engine in ((ZH, zh_engine), (EN, en_engine)):
        voice = remote.engine_for(text)
        audio = voice.synthesize(text)
        assert voice.sample_rate == engine.sample_rate
        assert audio.dtype == np.float32 and 0.5 < len(audio) / voice.sample_rate < 10
        assert float(np.sqrt(np.mean(audio ** 2))) > 0.01  # not silence
        local = engine.synthesize(text)
        # the same voice said it (piper's durations are sampled: allow some spread)
        assert abs(len(audio) - len(local)) <= 0.3 * len(local)
    assert remote.sample_rate == zh_engine.sample_rate
    whole = remote.synthesize(EN)  # TTSEngine.synthesize: at the service's main rate
    local_s = len(en_engine.synthesize(EN)) / en_engine.sample_rate
    assert abs(len(whole) / remote.sample_rate - local_s) <= 0.3 * local_s


@pytest.mark.parametrize("body, code", [
    (b"", "empty_audio"),
    (b"\x01\x02\x03", "odd_length"),
    (bytes(61 * 16000 * 2), "too_long"),
])
def test_bad_audio_gets_400_with_message(server, body, code):
    r = httpx.post(f"{server.url}/asr", content=body, headers={"Content-Type": "application/octet-stream"})
    assert r.status_code == 400
    assert r.json()["code"] == code
    error = r.json()["error"]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in error) and " / " in error  # Chinese / English


@pytest.mark.parametrize("payload, code", [
    ({"text": "   "}, "empty_text"),
    ({"text": "电" * 501}, "too_long"),
    ({"words": "你好"}, "no_text"),
    ({"text": "你好", "lang": "fr"}, "bad_language"),
])
def test_bad_text_gets_400_with_message(server, payload, code):
    r = httpx.post(f"{server.url}/tts", json=payload)
    assert r.status_code == 400 and r.json()["code"] == code and r.json()["error"]


def test_bad_json_and_bad_language(server):
    r = httpx.post(f"{server.url}/tts", content=b"{not json", headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and r.json()["code"] == "bad_json"
    with pytest.raises(SpeechRequestError, match="not a valid language"):
        RemoteTranscriber(server.url).transcribe(clip("domain_01.wav"), language="xx")


# --- service down / restarting ------------------------------------------------------------------

def test_service_down_raises_unavailable(down_url):
    with pytest.raises(SpeechServiceUnavailable, match="语音识别服务暂时不可用") as asr_err:
        RemoteTranscriber(down_url).transcribe(clip("domain_01.wav"))
    assert asr_err.value.component == "asr" and isinstance(asr_err.value, RuntimeError)
    with pytest.raises(SpeechServiceUnavailable, match="语音合成服务暂时不可用") as tts_err:
        RemoteTTS(down_url).engine_for(ZH).synthesize(ZH)
    assert tts_err.value.component == "tts"
    RemoteTTS(down_url).warm([ZH])  # start-up warm-up must not fail the app


def test_hung_service_times_out_as_unavailable():
    with socket.socket() as listener:  # accepts connections, never answers
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        url = f"http://127.0.0.1:{listener.getsockname()[1]}"
        with pytest.raises(SpeechServiceUnavailable, match="timeout") as err:
            RemoteTranscriber(url, timeout=httpx.Timeout(0.5, connect=0.5)).transcribe(clip("domain_01.wav"))
    assert err.value.component == "asr"


def test_engines_from_env(monkeypatch):
    monkeypatch.delenv("HALLBOT_SPEECH_URL", raising=False)
    assert engines_from_env() == (None, None)
    monkeypatch.setenv("HALLBOT_SPEECH_URL", "http://10.0.0.5:5060/")
    transcriber, tts = engines_from_env()
    assert isinstance(transcriber, RemoteTranscriber) and isinstance(tts, RemoteTTS)
    assert transcriber.url == tts.url == "http://10.0.0.5:5060"


def test_settings_and_services(tmp_path, monkeypatch):
    monkeypatch.delenv("HALLBOT_SPEECH_URL", raising=False)
    settings = Settings(var_dir=tmp_path, speech_port=5077)
    assert settings.speech_url == "http://127.0.0.1:5077"
    assert settings.as_env()["HALLBOT_SPEECH_URL"] == settings.speech_url
    assert settings.as_env()["HALLBOT_SPEECH_PORT"] == "5077"
    assert [s.name for s in build_services(settings, with_app=False)] == ["actions", "rasa"]
    names = [s.name for s in build_services(settings, with_app=True)]
    assert names.index("speech") < names.index("app")


def test_supervised_service_restarts_and_client_recovers(tmp_path, transcriber, monkeypatch):
    """The real `speech` service of `hallbot run`, under the Supervisor: killed -> clear error,
    restarted -> the same client objects work again."""
    monkeypatch.delenv("HALLBOT_SPEECH_URL", raising=False)
    settings = Settings(var_dir=tmp_path, speech_port=free_port())
    service = next(s for s in build_services(settings, with_app=True) if s.name == "speech")
    supervisor = Supervisor([service], tmp_path / "logs", settings.host)
    audio = clip("domain_02.wav")
    expected = transcriber.transcribe(audio).text
    token = keys.secret(keys.SPEECH_TOKEN, tmp_path)   # the service's own token (voice/server.py)
    asr, tts = RemoteTranscriber(settings.speech_url, token=token), RemoteTTS(settings.speech_url, token=token)
    try:
        supervisor.start()
        assert asr.transcribe(audio).text == expected
        assert len(tts.engine_for(ZH).synthesize(ZH)) > 0

        os.killpg(service.process.pid, signal.SIGKILL)  # a crash, not a polite stop
        service.process.wait(30)
        with pytest.raises(SpeechServiceUnavailable) as err:
            asr.transcribe(audio)
        assert err.value.component == "asr"
        with pytest.raises(SpeechServiceUnavailable):
            tts.engine_for(ZH).synthesize(ZH)

        supervisor.restart("speech")
        assert asr.transcribe(audio).text == expected
        assert float(np.abs(tts.engine_for(ZH).synthesize(ZH)).max()) > 0.1
    finally:
        supervisor.stop()


# --- the pipeline with remote engines -----------------------------------------------------------

async def test_pipeline_turn_with_remote_engines(server):
    bot = Bot()
    pipeline = VoicePipeline(bot, transcriber=RemoteTranscriber(server.url), tts=RemoteTTS(server.url),
                             config=PipelineConfig())
    await asyncio.to_thread(pipeline.warm)
    events = await run_file(pipeline, DATA / "domain_01.wav", session_id="kiosk-remote")
    transcript = next(e for e in events if isinstance(e, Transcript) and e.final)
    assert "电费" in transcript.text and bot.heard == [transcript.text]
    assert [e.text for e in events if isinstance(e, BotText)] == ["您本月电费是128.50元。"]
    audio = [e for e in events if isinstance(e, BotAudio)]
    assert audio and audio[-1].last and all(a.sample_rate == 16000 for a in audio)
    samples = A.pcm16_to_float(b"".join(a.pcm for a in audio))
    assert len(samples) / 16000 > 1.0 and float(np.abs(samples).max()) > 0.1
    assert not [e for e in events if isinstance(e, VoiceError)]


async def test_pipeline_survives_service_down(down_url):
    bot = Bot()
    pipeline = VoicePipeline(bot, transcriber=RemoteTranscriber(down_url), tts=RemoteTTS(down_url))
    events = await run_file(pipeline, DATA / "domain_01.wav", session_id="kiosk-down")
    errors = [e for e in events if isinstance(e, VoiceError)]
    assert errors and "语音识别服务暂时不可用" in errors[0].message and errors[0].component == "asr"
    assert bot.heard == []
