"""Local and remote speech engines satisfy voice.engines' Protocols (mypy checks the same where
bot/kiosk/deps.py builds the pipeline); local engines answer healthy() without a service."""
from __future__ import annotations

import numpy as np

from voice.asr import Transcriber
from voice.engines import Recognizer, SpeechServiceUnavailable, Synthesizer, Voice
from voice.remote import RemoteTranscriber, RemoteTTS
from voice.tts import CachedEngine, RoutingEngine, TTSEngine


class Tone(TTSEngine):
    name, sample_rate, languages = "tone", 16000, ("zh",)

    def synthesize(self, text: str) -> np.ndarray:
        return np.zeros(160, np.float32)


def test_remote_engines_satisfy_the_protocols():
    asr, tts = RemoteTranscriber("http://127.0.0.1:9"), RemoteTTS("http://127.0.0.1:9")
    try:
        assert isinstance(asr, Recognizer) and isinstance(tts, Synthesizer)
        tts.sample_rate = 16000   # known: the isinstance check reads it instead of asking /health
        assert isinstance(tts.engine_for("你好"), Voice)
        assert not asr.healthy() and not tts.healthy()   # nothing listens on port 9
    finally:
        asr.close()
        tts.close()


def test_local_engines_satisfy_the_protocols_and_are_healthy_in_process():
    assert isinstance(Transcriber.__new__(Transcriber), Recognizer)   # no model load needed to check the shape
    for engine in (Tone(), CachedEngine(Tone()), RoutingEngine(Tone(), Tone())):
        assert isinstance(engine, Synthesizer) and isinstance(engine.engine_for("hello"), Voice)
        assert engine.healthy()
        engine.warm(["你好"])
    assert Transcriber.healthy(Transcriber.__new__(Transcriber))


def test_service_errors_carry_their_component():
    error = SpeechServiceUnavailable("tts", "HTTP 503")
    assert error.component == "tts" and "语音合成" in str(error)
