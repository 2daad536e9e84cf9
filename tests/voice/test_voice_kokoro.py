"""Kokoro, the default Chinese voice (voice/tts/kokoro_engine.py): it says hall sentences that
the project's own ASR understands, the voice setting picks the voice, long replies are cut where
the model's context ends, and the speech service speaks Chinese with it when nothing is configured."""
import httpx
import numpy as np
import pytest

from voice import audio as A
from voice.server import make_speech_app
from voice.tts import TTSError
from voice.tts.normalize import normalize_zh

from .test_voice_asr import cer
from .test_voice_remote import ThreadServer

HALL = "您的户号是3201234567，本月电费286.50元，请在12月4日前缴费。"


def spoken_cer(ref: str, hyp: str) -> float:
    """CER on what is said: Whisper writes numbers as digits or as words, and 1 as 一 not 幺."""
    return cer(*(normalize_zh(s).replace("幺", "一") for s in (ref, hyp)))


def test_kokoro_speaks_a_hall_sentence_whisper_understands(kokoro_engine, transcriber):
    audio = kokoro_engine.synthesize(HALL)
    assert kokoro_engine.sample_rate == 24000 and audio.dtype == np.float32
    assert 3.0 < len(audio) / 24000 < 15 and float(np.abs(audio).max()) > 0.1
    text = transcriber.transcribe(A.resample(audio, 24000, 16000)).text
    assert spoken_cer(HALL, text) <= 0.1, text


def test_voice_setting_picks_the_voice(kokoro_engine, monkeypatch):
    from voice.tts.kokoro_engine import KokoroEngine

    monkeypatch.setenv("HALLBOT_TTS_VOICE", "zf_xiaobei")
    other = KokoroEngine(threads=1)
    assert other.voice == "zf_xiaobei" and kokoro_engine.voice == "zm_yunxi"
    a, b = kokoro_engine.synthesize("请稍等。"), other.synthesize("请稍等。")
    assert len(a) != len(b) or not np.allclose(a, b)


def test_unknown_voice_is_a_clear_error():
    from voice.tts.kokoro_engine import KokoroEngine

    with pytest.raises(TTSError, match="unknown Kokoro voice 'zm_nobody'"):
        KokoroEngine(voice="zm_nobody")


def test_long_reply_is_cut_within_the_context(kokoro_engine):
    pieces = kokoro_engine.tokens(kokoro_engine.phonemes("，".join(["您本月的电费已经缴清"] * 40) + "。"))
    assert len(pieces) > 1 and all(len(p) <= 510 for p in pieces)
    assert len(kokoro_engine.synthesize("请稍等，" * 3)) / 24000 > 1.0


def test_speech_service_speaks_chinese_with_kokoro_by_default(transcriber, monkeypatch):
    for name in ("HALLBOT_TTS_ENGINE", "HALLBOT_TTS_ZH_ENGINE", "HALLBOT_COQUI_MODEL_DIR", "HALLBOT_TTS_VOICE"):
        monkeypatch.delenv(name, raising=False)
    srv = ThreadServer(make_speech_app(transcriber, None, warm=False)).start()
    try:
        r = httpx.post(f"{srv.url}/tts", json={"text": "您好，请问您要办理什么业务？"}, timeout=60)
        assert r.status_code == 200 and r.headers["X-Engine"] == "kokoro", r.text
        assert int(r.headers["X-Sample-Rate"]) == 24000 and len(r.content) > 24000
    finally:
        srv.stop()


def test_kokoros_padding_is_trimmed_so_the_voice_starts_at_once(kokoro_engine):
    """Kokoro returned "您好" as 1.93 s with 0.45 s of silence before the voice: what the customer
    heard started late behind the measured first audio."""
    audio = kokoro_engine.synthesize("您好")
    rate = kokoro_engine.sample_rate
    loud = np.flatnonzero(np.abs(audio) >= 0.01)
    assert loud[0] / rate <= 0.06 and (len(audio) - loud[-1]) / rate <= 0.16
    assert 0.3 <= len(audio) / rate <= 1.2


def test_trim_keeps_silence_and_sound_as_they_are():
    from voice.tts.kokoro_engine import trim_silence

    silent = np.zeros(2400, dtype=np.float32)
    assert trim_silence(silent, 24000) is silent
    tone = np.concatenate([np.zeros(24000), 0.5 * np.ones(2400), np.zeros(24000)]).astype(np.float32)
    out = trim_silence(tone, 24000)
    assert len(out) == 2400 + int(0.05 * 24000) + int(0.15 * 24000) and out.max() == 0.5
