"""The pipeline with the real VAD, Whisper and TTS; only the NLU (Rasa) is replaced by an
injected async function, which is the pipeline's contract (`respond(session_id, text)`)."""
import asyncio

import numpy as np
import pytest

from voice import audio as A
from voice.events import (
    BotAudio,
    BotText,
    EchoIgnored,
    PlaybackCancelled,
    Reprompt,
    SilenceTimeout,
    SpeechStarted,
    SpeechStopped,
    StageTimings,
    Transcript,
    VoiceError,
)
from voice.pipeline import PipelineConfig, VoicePipeline
from voice.transports.file import run_file
from voice.vad import FRAME_S, FRAME_SAMPLES, SileroVAD

from .conftest import DATA

REPLY = "您本月电费是128.50元。还有什么可以帮您？"


class Bot:
    """Stands in for Rasa: records what it heard, answers from a table."""

    def __init__(self, fail_on: str = ""):
        self.heard: list[tuple[str, str]] = []
        self.fail_on = fail_on

    async def __call__(self, session_id: str, text: str) -> list[str]:
        self.heard.append((session_id, text))
        if self.fail_on and self.fail_on in text:
            raise ConnectionError("rasa down")
        await asyncio.sleep(0.01)
        return [REPLY] if "电费" in text else ["好的。"]


def clip(name: str) -> np.ndarray:
    return A.to_pipeline(A.load(DATA / name))


def silence(seconds: float) -> np.ndarray:
    return np.zeros(int(seconds * 16000), np.float32)


@pytest.fixture
def make_pipeline(transcriber, tts):
    def make(bot, end_of_turn=None, **cfg):
        return VoicePipeline(bot, transcriber=transcriber, tts=tts, config=PipelineConfig(**cfg), end_of_turn=end_of_turn)
    return make


async def feed_frames(session, audio, collected):
    """Feed frame by frame, collecting events with the audio time they appeared at."""
    for i in range(0, len(audio) - FRAME_SAMPLES + 1, FRAME_SAMPLES):
        await session.feed(A.float_to_pcm16(audio[i:i + FRAME_SAMPLES]))
        await asyncio.sleep(0)
        while not session.events.empty():
            collected.append((session.now, session.events.get_nowait()))


async def wait_for(session, collected, kind, timeout=30.0):
    end = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < end:
        while not session.events.empty():
            collected.append((session.now, session.events.get_nowait()))
        if any(isinstance(e, kind) for _, e in collected):
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"no {kind.__name__} within {timeout} s: {[type(e).__name__ for _, e in collected]}")


async def test_full_turn_from_file(make_pipeline):
    bot = Bot()
    events = await run_file(make_pipeline(bot), DATA / "domain_01.wav", session_id="kiosk-1")
    types = [type(e) for e in events]
    assert types[0] is SpeechStarted and SpeechStopped in types
    transcript = next(e for e in events if isinstance(e, Transcript) and e.final)
    assert "电费" in transcript.text and transcript.session_id == "kiosk-1"
    assert bot.heard == [("kiosk-1", transcript.text)]
    assert [e.text for e in events if isinstance(e, BotText)] == [REPLY]
    audio = [e for e in events if isinstance(e, BotAudio)]
    assert audio[0].seq == 0 and audio[-1].last and all(a.sample_rate == 16000 for a in audio)
    assert {a.text for a in audio} == {"您本月电费是128.50元。", "还有什么可以帮您？"}  # sentence by sentence
    spoken = np.concatenate([A.pcm16_to_float(a.pcm) for a in audio])
    assert 2.0 < len(spoken) / 16000 < 12
    timing = next(e for e in events if isinstance(e, StageTimings))
    assert timing.speech_end <= timing.endpoint <= timing.asr_done <= timing.nlu_done <= timing.first_audio
    assert timing.ms["speech_end_to_first_audio"] > 0 and timing.text == transcript.text
    # types order: transcript before reply audio, timings last
    assert types.index(Transcript) < types.index(BotAudio) < types.index(StageTimings)


async def test_early_asr_is_used_when_speech_does_not_resume(make_pipeline):
    events = await run_file(make_pipeline(Bot()), DATA / "domain_03.wav")
    timing = next(e for e in events if isinstance(e, StageTimings))
    assert timing.early_asr_used
    # off: the turn transcribes its whole audio (on the silence rule; Smart Turn, when it ends a
    # turn at a pause, uses the transcript it checked there: the same audio)
    from voice.turn import SilenceOnly

    events = await run_file(make_pipeline(Bot(), SilenceOnly(), early_asr=False), DATA / "domain_03.wav")
    assert not next(e for e in events if isinstance(e, StageTimings)).early_asr_used
    # live (real-time) input: the early result is shown as an interim transcript before the final
    # (a long end silence leaves the early ASR time to finish even on a busy machine)
    from voice.vad import VADConfig

    slow_end = make_pipeline(Bot(), vad=VADConfig(end_silence_ms=1800))
    events = await run_file(slow_end, DATA / "domain_03.wav", realtime=True, trailing_silence_s=2.5)
    interim = [e for e in events if isinstance(e, Transcript) and not e.final]
    final = [e for e in events if isinstance(e, Transcript) and e.final]
    assert interim and interim[0].text == final[0].text and events.index(interim[0]) < events.index(final[0])


async def test_barge_in_cancels_playback_within_200ms(make_pipeline):
    bot = Bot()
    session = make_pipeline(bot).session("s")
    got: list = []
    await feed_frames(session, np.concatenate([clip("domain_01.wav"), silence(0.7)]), got)
    await wait_for(session, got, BotAudio)  # the robot is talking now
    assert session.playing
    interrupt = clip("domain_03.wav")
    probs = SileroVAD().probabilities(interrupt)
    onset = session.now + int(np.argmax(probs >= 0.5)) * FRAME_S  # audio time the user starts
    await feed_frames(session, interrupt, got)
    cancels = [(t, e) for t, e in got if isinstance(e, PlaybackCancelled)]
    assert cancels, [type(e).__name__ for _, e in got]
    t_cancel, cancel = cancels[0]
    assert cancel.reason == "barge-in" and cancel.turn_id == 1
    assert t_cancel - onset <= 0.2 + 1e-6, (t_cancel, onset)
    assert not session.playing
    # the interruption itself is heard and answered as the next turn
    await feed_frames(session, silence(1.0), got)
    await session.drain()
    await wait_for(session, got, StageTimings)
    transcripts = [e.text for _, e in got if isinstance(e, Transcript) and e.final]
    assert len(transcripts) == 2 and "过户" in transcripts[1]
    await session.close()


async def test_no_barge_in_from_silence_while_talking(make_pipeline):
    session = make_pipeline(Bot()).session("s")
    got: list = []
    await feed_frames(session, np.concatenate([clip("domain_01.wav"), silence(0.7)]), got)
    await wait_for(session, got, BotAudio)
    await feed_frames(session, np.random.default_rng(0).normal(0, 0.005, 16000).astype(np.float32), got)
    assert not [e for _, e in got if isinstance(e, PlaybackCancelled)]
    await session.close()


async def test_own_voice_is_not_taken_as_the_user(make_pipeline, tts):
    bot = Bot()
    session = make_pipeline(bot).session("s")
    got: list = []
    await feed_frames(session, np.concatenate([clip("domain_01.wav"), silence(0.7)]), got)
    await session.drain()
    await wait_for(session, got, StageTimings)
    robot = np.concatenate([A.pcm16_to_float(e.pcm) for _, e in got if isinstance(e, BotAudio)])
    session.playback_finished()
    # the speaker's sound comes back through the mic after playback (no echo canceller)
    await feed_frames(session, np.concatenate([silence(0.3), robot * 0.5, silence(1.0)]), got)
    await session.drain()
    await wait_for(session, got, EchoIgnored)
    assert len(bot.heard) == 1  # Rasa never saw the echo
    await session.close()


async def test_reprompt_on_silence_then_timeout(make_pipeline):
    session = make_pipeline(Bot(), reprompt_after_s=2.0, max_reprompts=2).session("s")
    got: list = []
    await feed_frames(session, np.concatenate([clip("domain_01.wav"), silence(0.7)]), got)
    await session.drain()
    session.playback_finished()
    for _ in range(12):  # keep the mic open with silence; each re-prompt is spoken, then waited for
        await feed_frames(session, silence(1.0), got)
        await session.drain()
        session.playback_finished()
    reprompts = [e for _, e in got if isinstance(e, Reprompt)]
    assert [r.count for r in reprompts] == [1, 2]
    assert [e for _, e in got if isinstance(e, SilenceTimeout)]
    assert any(isinstance(e, BotAudio) and e.text == reprompts[0].text for _, e in got)
    await session.close()


async def test_nlu_failure_is_reported_and_session_goes_on(make_pipeline):
    bot = Bot(fail_on="电费")
    session = make_pipeline(bot).session("s")
    got: list = []
    await feed_frames(session, np.concatenate([clip("domain_01.wav"), silence(0.7)]), got)
    await session.drain()
    await wait_for(session, got, VoiceError)
    error = next(e for _, e in got if isinstance(e, VoiceError))
    assert "rasa down" in error.message and error.component == "nlu"
    await feed_frames(session, np.concatenate([clip("domain_03.wav"), silence(0.7)]), got)
    await session.drain()
    await wait_for(session, got, BotAudio)
    assert len(bot.heard) == 2
    await session.close()


async def test_bad_input_and_closed_session(make_pipeline):
    session = make_pipeline(Bot()).session("s")
    with pytest.raises(A.CorruptAudioError):
        await session.feed(b"\x01\x02\x03")
    await session.close()
    with pytest.raises(RuntimeError, match="closed"):
        await session.feed(b"\x00\x00")


def test_events_serialise_to_json():
    import json

    e = BotAudio("s", b"\x00\x00" * 10, 16000, 1, 0, "您好。", True)
    d = e.to_dict()
    assert d["type"] == "BotAudio" and d["bytes"] == 20 and "pcm" not in d
    t = StageTimings("s", 1, speech_end=1.0, endpoint=1.6, asr_done=2.0, nlu_done=2.2, first_audio=2.5).finish()
    assert t.ms["speech_end_to_first_audio"] == 1500.0
    json.dumps(t.to_dict())


async def test_half_duplex_ignores_the_mic_while_talking(make_pipeline):
    session = make_pipeline(Bot(), barge_in=False, half_duplex=True).session("s")
    got: list = []
    await feed_frames(session, np.concatenate([clip("domain_01.wav"), silence(0.7)]), got)
    await wait_for(session, got, BotAudio)
    assert session.playing
    before = len(got)
    await feed_frames(session, np.concatenate([clip("domain_03.wav"), silence(0.7)]), got)  # over the robot
    assert not [e for _, e in got[before:] if isinstance(e, (PlaybackCancelled, SpeechStarted))]
    await session.drain()  # the whole reply has been sent ...
    session.playback_finished()  # ... and played
    await feed_frames(session, np.concatenate([clip("domain_03.wav"), silence(0.7)]), got)  # after it
    await session.drain()
    for _ in range(100):
        finals = [e.text for _, e in got if isinstance(e, Transcript) and e.final]
        if len(finals) == 2:
            break
        await feed_frames(session, silence(0.1), got)
    assert len(finals) == 2 and finals[1].startswith("我要办理过户"), finals


async def test_phone_leg_g711_round_trip(make_pipeline):
    from voice.transports.phone import PhoneLeg

    session = make_pipeline(Bot()).session("call-1")
    leg = PhoneLeg(session, "alaw")
    audio8k = A.resample(np.concatenate([clip("domain_01.wav"), silence(1.0)]), 16000, 8000)
    for i in range(0, len(audio8k) - 159, 160):  # 20 ms RTP payloads
        await leg.receive(A.alaw_encode(A.float_to_pcm16(audio8k[i:i + 160])))
    await session.flush()
    await session.drain()
    got: list = []
    await wait_for(session, got, StageTimings)
    assert "电费" in next(e.text for _, e in got if isinstance(e, Transcript) and e.final)
    payloads = [p for _, e in got if isinstance(e, BotAudio) for p in leg.payloads(e)]
    assert payloads and all(len(p) == 160 for p in payloads)
    with pytest.raises(ValueError, match="G.711 law"):
        PhoneLeg(session, "opus")
    await session.close()
