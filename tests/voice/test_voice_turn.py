"""End of turn (voice/turn.py) and its place in the pipeline: Smart Turn ends a complete turn at
the first pause, the silence rule stays the fallback, and a customer reading a number in groups
is never cut off. Speech is the real PaddleSpeech clip and the project's own Kokoro voice."""
import zipfile

import numpy as np
import pytest

from voice import audio as A
from voice import models
from voice.events import SpeechStopped, Transcript
from voice.pipeline import PipelineConfig, VoicePipeline
from voice.transports.file import feed_samples
from voice.turn import SilenceOnly, SmartTurn, get_end_of_turn, sounds_unfinished
from voice.vad import FRAME_S, FRAME_SAMPLES, Endpointer, VADConfig

from .conftest import DATA

NUMBER_GROUPS = ["我的户号是", "三一零零", "零零零零", "零一"]   # 3100000001 read in groups
BARE_LEAD_IN = ["户号", "三二零一", "二三四五", "六七"]          # the number named without 是
QUESTION = "请问这个月的电费是多少？"


def silence(seconds: float) -> np.ndarray:
    return np.zeros(int(seconds * 16000), np.float32)


# --- without models -----------------------------------------------------------------------------

def push(ep: Endpointer, probs: list[float]):
    frame = np.zeros(FRAME_SAMPLES, np.float32)
    events = []
    for p in probs:
        events += list(ep.push(frame, p))
    return events


def test_endpointer_waits_longer_when_told_and_ends_at_once_when_asked():
    cfg = VADConfig(pause_ms=192, end_silence_ms=600)
    voiced, quiet = [0.9] * 20, [0.0] * 60   # 0.64 s of speech, 1.9 s of silence
    ep = Endpointer(cfg)
    events = push(ep, voiced + quiet[:6])
    assert [e.kind for e in events] == ["start", "pause"]
    ep.wait_for_silence(1000)
    end = [e for e in push(ep, quiet) if e.kind == "end"][0]
    assert end.t - end.speech_end_t == pytest.approx(1.0, abs=FRAME_S + 1e-6)
    # after a resume the configured end silence applies again
    ep = Endpointer(cfg)
    push(ep, voiced + quiet[:6])
    ep.wait_for_silence(1000)
    push(ep, voiced)
    end = [e for e in push(ep, quiet) if e.kind == "end"][0]
    assert end.t - end.speech_end_t == pytest.approx(0.6, abs=FRAME_S + 1e-6)
    # ended at the pause: the utterance so far, speech end = the last voiced frame
    ep = Endpointer(cfg)
    pause = push(ep, voiced + quiet[:6])[-1]
    end = ep.end_now()
    assert end.kind == "end" and end.speech_end_t == pause.speech_end_t and not ep.in_speech
    assert end.audio is not None and len(end.audio) == len(pause.audio)
    with pytest.raises(RuntimeError):
        ep.end_now()


@pytest.mark.parametrize(("text", "unfinished"), [
    ("我的户号是", True), ("我的户号是3100", True), ("户号三一零零。", True), ("手机号一三九，", True),
    ("我想交电费，", True), ("户号。", True), ("户号、320E", True), ("身份证号11010519491231002X", True), ("我的手机号码", True), ("身份证：", True),
    ("请问这个月的电费是多少？", False), ("我要办理过户手续。", False), ("我家停电了，请帮我报修。", False), ("", False),
])
def test_transcripts_that_stop_inside_a_number_sound_unfinished(text, unfinished):
    assert sounds_unfinished(text) is unfinished


def test_engine_choice(monkeypatch):
    assert isinstance(get_end_of_turn("silence"), SilenceOnly)
    assert SilenceOnly().probability(np.ones(16000, np.float32)) == 0.0
    with pytest.raises(ValueError, match="unknown end-of-turn engine"):
        get_end_of_turn("vibes")
    monkeypatch.setenv("HALLBOT_END_OF_TURN", "silence")
    assert isinstance(get_end_of_turn(), SilenceOnly)


def test_missing_smart_turn_falls_back_to_silence(monkeypatch, tmp_path, caplog):
    monkeypatch.setattr(models, "smart_turn_dir", lambda: tmp_path)
    with pytest.raises(FileNotFoundError, match="post_install"):
        SmartTurn()
    assert isinstance(get_end_of_turn("smart_turn"), SilenceOnly)
    assert "silence only" in caplog.text


def test_install_takes_the_two_pinned_files_from_the_wheel(tmp_path):
    installed = models.smart_turn_dir()
    assert models.smart_turn_installed(), "scripts/post_install/voice.sh installs Smart Turn"
    wheel = tmp_path / "pipecat_ai-1.14.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as whl:  # the wheel's layout, with the real files
        for member, (name, _) in models._SMART_TURN_MEMBERS.items():
            whl.write(installed / name, member)
        whl.writestr("pipecat/__init__.py", "raise ImportError('never imported')\n")
    target = tmp_path / "smart-turn"
    assert not models.smart_turn_installed(target)
    models.install_smart_turn(wheel, target)
    assert models.smart_turn_installed(target) and sorted(p.name for p in target.iterdir()) == sorted(models.SMART_TURN_DIGESTS)
    # a wheel whose files differ from the pins is refused, and so is edited feature code
    bad = tmp_path / "bad.whl"
    with zipfile.ZipFile(bad, "w") as whl:
        for member in models._SMART_TURN_MEMBERS:
            whl.writestr(member, b"not the model")
    with pytest.raises(ValueError, match="not the pinned"):
        models.install_smart_turn(bad, tmp_path / "other")
    with open(target / models.SMART_TURN_FEATURES, "a") as f:
        f.write("\nimport os  # tampered\n")
    with pytest.raises(ValueError, match="not the pinned"):
        SmartTurn(target)


def test_models_command_can_check_the_install(tmp_path):
    assert models.main(["install-smart-turn", "--check"]) == 0
    assert models.main(["install-smart-turn", "--check", "--target", str(tmp_path)]) == 1


# --- with the model -----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def smart_turn():
    return SmartTurn()


@pytest.fixture(scope="module")
def real_clip():
    return A.to_pipeline(A.load(DATA / "paddlespeech_zh.wav"))


def say(engine, text: str) -> np.ndarray:
    return A.resample(engine.synthesize(text), engine.sample_rate, 16000)


def voiced(audio: np.ndarray) -> np.ndarray:
    """The part above 2% of the peak level: Kokoro leaves 0.05-0.15 s of near-silence at each end,
    which would make a joined pause longer than it says."""
    rms = np.sqrt(np.convolve(audio ** 2, np.ones(160) / 160, mode="same"))
    loud = np.nonzero(rms > 0.02 * rms.max())[0]
    return audio[loud[0]:loud[-1] + 1]


@pytest.mark.models
def test_probability_high_when_complete_low_when_cut_mid_sentence(smart_turn, real_clip, kokoro_engine):
    pause = silence(0.2)
    full = smart_turn.probability(np.concatenate([real_clip, pause]))
    cut = smart_turn.probability(np.concatenate([real_clip[:int(0.55 * len(real_clip))], pause]))
    assert full > 0.7 and cut < 0.3, (full, cut)
    assert smart_turn.probability(np.concatenate([say(kokoro_engine, QUESTION), pause])) > 0.7
    # nothing to judge: no opinion, never an exception
    assert smart_turn.probability(np.zeros(0, np.float32)) == 0.0
    assert smart_turn.probability(np.full(1600, np.nan, np.float32)) == 0.0


class Heard:
    async def __call__(self, session_id: str, text: str) -> list[str]:
        return []   # no reply: only the turn-taking is under test


class Mute:
    """The Synthesizer of a pipeline that never replies."""

    def engine_for(self, text: str):
        raise AssertionError("nothing is spoken in these tests")

    def warm(self, texts: list[str]) -> None:
        pass

    def healthy(self) -> bool:
        return True


async def turns(pipeline: VoicePipeline, speech: np.ndarray) -> tuple[list[SpeechStopped], list[str]]:
    session = pipeline.session("t")
    try:
        await feed_samples(session, np.concatenate([silence(0.5), speech, silence(1.5)]))
        await session.flush()
        await session.drain()
    finally:
        await session.close()
    events = []
    while not session.events.empty():
        events.append(session.events.get_nowait())
    return ([e for e in events if isinstance(e, SpeechStopped)],
            [e.text for e in events if isinstance(e, Transcript) and e.final])


@pytest.fixture
def pipelines(transcriber, smart_turn):
    def make(end_of_turn):
        return VoicePipeline(Heard(), transcriber, Mute(), config=PipelineConfig(), end_of_turn=end_of_turn)
    return make(smart_turn), make(SilenceOnly())


@pytest.mark.models
async def test_a_complete_question_ends_sooner_than_on_silence(pipelines, kokoro_engine):
    speech = say(kokoro_engine, QUESTION)
    (smart, heard), (rule, heard_rule) = [await turns(p, speech) for p in pipelines]
    assert len(smart) == len(rule) == 1 and heard == heard_rule and "电费" in heard[0]
    assert smart[0].ended_by == "smart_turn" and rule[0].ended_by == "silence"
    assert rule[0].t - smart[0].t >= 0.3, (smart[0].t, rule[0].t)   # 192 ms pause against 600 ms silence


@pytest.mark.models
@pytest.mark.parametrize(("groups", "pause_s"), [(NUMBER_GROUPS, 0.3), (NUMBER_GROUPS, 0.5), (BARE_LEAD_IN, 0.4)])
async def test_a_number_read_in_groups_is_not_cut_off(pipelines, kokoro_engine, groups, pause_s):
    # pauses past the 192 ms pause (Smart Turn is asked) and within the 600 ms end silence
    parts = [voiced(say(kokoro_engine, g)) for g in groups]
    gap = silence(pause_s)
    speech = np.concatenate([x for p in parts for x in (p, gap)][:-1])
    for pipeline in pipelines:
        stops, heard = await turns(pipeline, speech)
        # one turn, ended after the last group (what Whisper makes of the zeros is not at issue here)
        assert len(stops) == 1 and stops[0].t > 0.5 + len(speech) / 16000, (pipeline.end_of_turn.name, stops, heard)


@pytest.mark.models
async def test_kokoro_comma_pauses_inside_a_number_are_not_the_end(pipelines, kokoro_engine):
    speech = say(kokoro_engine, "我的户号是，三一零零，零零零零，零一。")
    for pipeline in pipelines:
        stops, _ = await turns(pipeline, speech)
        assert len(stops) == 1 and stops[0].t > 0.5 + len(speech) / 16000, (pipeline.end_of_turn.name, stops)


@pytest.mark.models
async def test_a_failing_model_leaves_the_turn_to_silence(transcriber, kokoro_engine):
    class Broken:
        name = "broken"

        def probability(self, audio_16k):
            raise RuntimeError("onnx session lost")

    pipeline = VoicePipeline(Heard(), transcriber, Mute(), config=PipelineConfig(), end_of_turn=Broken())
    stops, heard = await turns(pipeline, say(kokoro_engine, QUESTION))
    assert len(stops) == 1 and stops[0].ended_by == "silence" and heard

