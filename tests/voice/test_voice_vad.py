import numpy as np
import pytest

from voice import audio as A
from voice.vad import FRAME_S, Endpointer, SileroVAD, VADConfig

from .conftest import DATA


@pytest.fixture(scope="module")
def speech():
    return A.to_pipeline(A.load(DATA / "paddlespeech_zh.wav"))


def run(audio, config=None):
    vad, ep = SileroVAD(), Endpointer(config or VADConfig())
    events = []
    for i in range(len(audio) // 512):
        frame = audio[i * 512:(i + 1) * 512]
        events += list(ep.push(frame, vad(frame)))
    return events


def test_silero_separates_speech_from_silence_and_noise(speech):
    vad = SileroVAD()
    assert vad.probabilities(speech).max() > 0.9
    assert vad.probabilities(np.zeros(16000, np.float32)).max() < 0.1
    noise = np.random.default_rng(1).normal(0, 0.02, 32000).astype(np.float32)
    assert vad.probabilities(noise).max() < 0.5


def test_endpointer_finds_one_utterance_with_pause_then_end(speech):
    pad = np.zeros(16000, np.float32)
    events = run(np.concatenate([pad, speech, pad]))
    kinds = [e.kind for e in events]
    assert kinds[0] == "start" and kinds[-1] == "end" and kinds.count("end") == 1
    assert 1.3 < events[0].t < 1.8  # the clip has ~0.45 s lead-in; + 1 s pad + min_speech
    end = events[-1]
    assert end.t - end.speech_end_t == pytest.approx(0.6, abs=FRAME_S + 1e-6)  # end silence
    assert 4.5 < len(end.audio) / 16000 < 5.7  # the whole sentence incl. pre-roll
    assert "pause" in kinds  # tentative end for early ASR


def test_end_silence_is_configurable(speech):
    pad = np.zeros(32000, np.float32)
    long_cfg = VADConfig(end_silence_ms=1500, pause_ms=300)
    events = run(np.concatenate([pad, speech, pad]), long_cfg)
    end = [e for e in events if e.kind == "end"][0]
    assert end.t - end.speech_end_t == pytest.approx(1.5, abs=FRAME_S + 1e-6)


def test_short_blip_is_not_an_utterance(speech):
    blip = speech[16000:16000 + 1600]  # 100 ms of speech < min_speech_ms 160
    events = run(np.concatenate([np.zeros(8000, np.float32), blip, np.zeros(16000, np.float32)]))
    assert not [e for e in events if e.kind == "start"]


def test_bad_vad_config_rejected():
    with pytest.raises(ValueError, match="thresholds"):
        VADConfig(start_threshold=0.3, stop_threshold=0.6)
    with pytest.raises(ValueError, match="pause_ms"):
        VADConfig(pause_ms=900, end_silence_ms=600)
    with pytest.raises(ValueError, match="512 samples"):
        SileroVAD()(np.zeros(100, np.float32))


def test_vad_config_from_env(monkeypatch):
    monkeypatch.setenv("HALLBOT_VAD_END_SILENCE_MS", "800")
    monkeypatch.setenv("HALLBOT_VAD_START", "0.6")
    cfg = VADConfig.from_env()
    assert cfg.end_silence_ms == 800 and cfg.start_threshold == 0.6
