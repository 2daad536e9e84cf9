"""End-of-turn benchmark: end of speech -> turn end with Smart Turn (HALLBOT_END_OF_TURN=smart_turn)
against the silence rule alone, in the same run, and how often each cuts a customer off.

Utterances go through the real pipeline (Silero VAD, endpointer, end-of-turn model, Whisper for
the early transcript); the NLU answers nothing, so no TTS runs. Two sets, synthesised now with
Kokoro (synthetic speech, several voices):
  complete  questions and requests, each one turn;
  numbers   an account, phone or ID number read in groups: each group synthesised apart and
            joined with a pause (the --pauses), plus the whole sentence with commas in one go
            (Kokoro's own pauses). Ending the turn before the voice ends is an early cut.
--dataset DIR adds its *.wav files as complete turns (e.g. ../shared/data/speech_zh_paddlespeech,
real speech). Latency = StageTimings' speech end -> endpoint: the end silence plus, for Smart Turn,
the model and the early transcript it waits for; `--realtime` paces the audio as a microphone.

    .venv/bin/python bench/bench_turn.py [--voices zm_yunxi,zf_xiaoxiao] [--pauses 0.3,0.5,0.8]
        [--dataset DIR] [--realtime] [--output BENCHMARKS.md]
"""
from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from load_stats import percentile  # noqa: E402  (bench/ is on sys.path when run as a script)
from machine_info import describe  # noqa: E402

from voice import audio as A  # noqa: E402
from voice.events import SpeechStopped, StageTimings  # noqa: E402
from voice.pipeline import PipelineConfig, VoicePipeline  # noqa: E402
from voice.transports.file import feed_samples  # noqa: E402
from voice.turn import EndOfTurn, SilenceOnly, SmartTurn  # noqa: E402

COMPLETE = [
    "请问这个月的电费是多少？",
    "我想交电费。",
    "我家停电了，请帮我报修。",
    "上个月的电费为什么这么高？",
    "请帮我查一下峰谷电价。",
    "我要办理过户手续。",
    "新装一个电表需要什么材料？",
    "营业厅几点下班？",
    "可以用微信交电费吗？",
    "我想开一张电费发票。",
]
# (lead-in, groups) as a customer reads them off a bill or card
NUMBERS = [
    ("我的户号是", ["三一零零", "零零零零", "零一"]),
    ("手机号是", ["一三九", "一二三四", "五六七八"]),
    ("户号", ["三二零一", "二三四五", "六七"]),
]
LEAD_S, TRAIL_S = 0.5, 1.6


@dataclass
class Clip:
    kind: str            # "complete" | "numbers p=0.5 s" | "numbers, Kokoro commas" | "dataset"
    name: str
    audio: np.ndarray    # 16 kHz, speech only (lead and trailing silence added when run)

    @property
    def voice_end_s(self) -> float:
        """A turn that ends before this has cut the customer off."""
        return speech_end(self.audio)


@dataclass
class Outcome:
    clip: Clip
    engine: str             # the variant's label
    stops: list[SpeechStopped]
    endpointing_ms: float   # speech end -> turn end (first turn)
    transcript_ms: float    # speech end -> transcript ready (first turn)

    @property
    def cut(self) -> bool:
        return bool(self.stops) and self.stops[0].t - LEAD_S < self.clip.voice_end_s


def speech_end(audio: np.ndarray) -> float:
    """Last 10 ms window above 2% of the peak: the end of the voice, independent of the VAD."""
    win = 160
    rms = np.sqrt(np.convolve(audio ** 2, np.ones(win) / win, mode="same"))
    loud = np.nonzero(rms > 0.02 * rms.max())[0]
    return (loud[-1] + 1) / 16000 if len(loud) else 0.0


def voiced(audio: np.ndarray) -> np.ndarray:
    """The part above 2% of the peak: Kokoro leaves 0.05-0.15 s of near-silence at each end, which
    would make a joined pause longer than it says."""
    rms = np.sqrt(np.convolve(audio ** 2, np.ones(160) / 160, mode="same"))
    loud = np.nonzero(rms > 0.02 * rms.max())[0]
    return audio[loud[0]:loud[-1] + 1] if len(loud) else audio


def synthesise(voices: list[str], pauses: list[float]) -> list[Clip]:
    from voice.tts.kokoro_engine import KokoroEngine

    clips: list[Clip] = []
    for voice in voices:
        engine = KokoroEngine(voice=voice)

        def say(text: str, engine: KokoroEngine = engine) -> np.ndarray:
            return A.resample(engine.synthesize(text), engine.sample_rate, 16000)

        for text in COMPLETE:
            clips.append(Clip("complete", f"{voice}: {text}", say(text)))
        for lead, groups in NUMBERS:
            parts = [voiced(say(lead))] + [voiced(say(g)) for g in groups]
            for pause in pauses:
                gap = np.zeros(int(pause * 16000), np.float32)
                joined = np.concatenate([x for p in parts for x in (p, gap)][:-1])
                clips.append(Clip(f"numbers, {pause:.1f} s pauses", f"{voice}: {lead}…{'…'.join(groups)}", joined))
            clips.append(Clip("numbers, Kokoro commas", f"{voice}: {lead}，{'，'.join(groups)}", say(lead + "，" + "，".join(groups) + "。")))
    return clips


def dataset(path: Path) -> list[Clip]:
    clips = []
    for wav in sorted(path.glob("*.wav")):
        audio = A.to_pipeline(A.load(wav))
        clips.append(Clip("dataset", f"{path.name}/{wav.name}", audio))
    return clips


class NoVoice:
    """The NLU answers nothing, so the pipeline never synthesises: only endpointing is measured."""

    def engine_for(self, text: str):  # pragma: no cover - never called
        raise AssertionError("no reply is spoken in this benchmark")

    def warm(self, texts: list[str]) -> None:
        pass

    def healthy(self) -> bool:
        return True


async def run_clip(pipeline: VoicePipeline, label: str, clip: Clip, realtime: bool) -> Outcome:
    lead = np.zeros(int(LEAD_S * 16000), np.float32)
    trail = np.zeros(int(TRAIL_S * 16000), np.float32)
    session = pipeline.session("bench")
    try:
        await feed_samples(session, np.concatenate([lead, clip.audio, trail]), realtime=realtime)
        await session.flush()
        await session.drain()
    finally:
        await session.close()
    events = []
    while not session.events.empty():
        events.append(session.events.get_nowait())
    stops = [e for e in events if isinstance(e, SpeechStopped)]
    timings = [e for e in events if isinstance(e, StageTimings)]
    ms = timings[0].ms if timings else {}
    first = timings[0] if timings else None
    transcript = round((first.asr_done - first.speech_end) * 1000, 1) if first and first.asr_done else -1.0
    return Outcome(clip, label, stops, ms.get("endpointing", -1.0), transcript)


def summarise(outcomes: list[Outcome], kinds: list[str], labels: list[str], realtime: bool) -> list[str]:
    """Speech end -> transcript needs real-time input: fed fast, the silence rule's early ASR starts
    only just before its end, which no microphone allows."""
    lines = ["| utterances | end of turn | n | median speech end -> turn end | p90 | median speech end -> transcript | "
             "ended by Smart Turn | early cuts |", "|---|---|---|---|---|---|---|---|"]
    for kind in kinds:
        for label in labels:
            rows = [o for o in outcomes if o.clip.kind == kind and o.engine == label]
            if not rows:
                continue
            lat = [o.endpointing_ms for o in rows if o.endpointing_ms >= 0 and not o.cut]
            tr = [o.transcript_ms for o in rows if o.transcript_ms >= 0 and not o.cut]
            smart = sum(1 for o in rows if o.stops and o.stops[0].ended_by == "smart_turn")
            cuts = sum(o.cut for o in rows)
            med = f"{statistics.median(lat):.0f} ms" if lat else "-"
            p90 = f"{percentile(lat, 90) or 0:.0f} ms" if lat else "-"
            trm = (f"{statistics.median(tr):.0f} ms" if tr else "-") if realtime else "n/a (needs --realtime)"
            lines.append(f"| {kind} | {label} | {len(rows)} | {med} | {p90} | {trm} | {smart}/{len(rows)} | {cuts}/{len(rows)} |")
    return lines


async def main_async(args: argparse.Namespace) -> str:
    from voice.asr import get_transcriber

    started = time.monotonic()
    pauses = [float(p) for p in args.pauses.split(",")]
    clips = synthesise(args.voices.split(","), pauses)
    if args.dataset:
        clips += dataset(Path(args.dataset))
    transcriber = get_transcriber()
    transcriber.warm()
    smart = SmartTurn()

    async def respond(session_id: str, text: str) -> list[str]:
        return []

    variants: list[tuple[str, EndOfTurn, PipelineConfig]] = [("silence only (baseline)", SilenceOnly(), PipelineConfig())]
    for ms in (int(m) for m in args.unfinished_ms.split(",")):
        variants.append((f"Smart Turn + words, unfinished {ms} ms", smart, PipelineConfig(incomplete_silence_ms=ms)))
    pipelines = {label: VoicePipeline(respond, transcriber, NoVoice(), config=cfg, end_of_turn=e) for label, e, cfg in variants}
    outcomes: list[Outcome] = []
    for clip in clips:
        for label, pipeline in pipelines.items():  # alternate, so load changes hit all alike
            outcomes.append(await run_clip(pipeline, label, clip, args.realtime))
    # the model's own cost per call, on the clips' audio
    calls = []
    for clip in clips[:20]:
        t = time.perf_counter()
        smart.probability(clip.audio)
        calls.append((time.perf_counter() - t) * 1000)
    kinds = list(dict.fromkeys(c.kind for c in clips))
    cfg = PipelineConfig()
    now = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    out = [f"## End of turn: Smart Turn v3.2 vs silence only (bench/bench_turn.py) — {now}", "",
           f"Machine: {describe()}. Command: `.venv/bin/python bench/bench_turn.py "
           f"--voices {args.voices} --pauses {args.pauses} --unfinished-ms {args.unfinished_ms}" + (f" --dataset {args.dataset}" if args.dataset else "")
           + (" --realtime" if args.realtime else "") + "`.",
           f"Speech: Kokoro voices {args.voices}, synthesised in this run (synthetic)"
           + (f"; plus {args.dataset} (as found there)" if args.dataset else "") + ". "
           f"Pause {cfg.vad.pause_ms} ms (Smart Turn asked, early ASR started), end silence {cfg.vad.end_silence_ms} ms, "
           f"threshold {cfg.end_of_turn_threshold}; `unfinished`: the silence a pause judged unfinished waits for. "
           f"Audio fed {'in real time' if args.realtime else 'as fast as it is processed'}; latency = speech end (last "
           "voiced frame) -> turn end, wall clock (the end silence in audio time plus the waits for Smart Turn and the early "
           "transcript); cut turns left out. An early cut = a turn ended before the voice did (inside the number or sentence). "
           "Number groups are synthesised one by one, trimmed to their voice and joined by exactly the pause named.",
           "", *summarise(outcomes, kinds, list(pipelines), args.realtime), "",
           f"Smart Turn alone, one call on up to 8 s of audio: median {statistics.median(calls):.0f} ms, "
           f"p95 {percentile(calls, 95) or 0:.0f} ms ({len(calls)} calls).", ""]
    cut = [o for o in outcomes if o.cut]
    if cut:
        out.append("Early cuts: " + "; ".join(f"{o.engine}: `{o.clip.name}` ({o.clip.kind}) at "
                                             f"{o.stops[0].t - LEAD_S:.2f} s, voice ends {o.clip.voice_end_s:.2f} s"
                                             for o in cut))
        out.append("")
    out.append(f"Bench wall time {time.monotonic() - started:.0f} s.")
    return "\n".join(out) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--voices", default="zm_yunxi,zf_xiaoxiao")
    parser.add_argument("--pauses", default="0.3,0.5")
    parser.add_argument("--dataset", default="")
    parser.add_argument("--unfinished-ms", default="600", help="silences for a pause judged unfinished, e.g. 600,1000")
    parser.add_argument("--realtime", action="store_true")
    parser.add_argument("--output", default="")
    args = parser.parse_args()
    text = asyncio.run(main_async(args))
    print(text)
    if args.output:
        with open(args.output, "a", encoding="utf-8") as f:
            f.write("\n" + text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
