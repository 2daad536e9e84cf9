"""Load and faults: the whole robot (as `make demo` runs it, on free loopback ports, its own var dir
in a temp dir) under N simulated kiosks and M chat clients for a while, each service killed with
SIGKILL once at spread-out times; does every turn get its answer, how long does it take, and do
the services come back? A hall runs for months: this is the run-for-a-while check the unit tests
cannot be.

Kiosk: the WebSocket protocol of bot/kiosk/routes.py: hello, camera frames of the enrolled face as
a live head (tests/kiosk/media.py live_frames) at --fps, the greeting awaited, then one typed turn
every --turn-interval s after the previous answer (a customer waits for the robot). After an app
restart the kiosk reconnects with its resume token and sends the turn the dead app never answered
again with its id, as the page does (bot/static/kiosk.js; counted "resent"). Audio turns are not
simulated (text turns only: spoken turns would add ASR on the same 2 cores and measure Whisper).
Chat client: POST /api/message, a turn every --turn-interval s; a 5xx, an empty answer or a
refused connection is retried every second with the same text and turn id (counted "after replay").
Business: run as its own service (`hallbot business serve`, the HTTP adapter) so it can be killed too.

Per turn: sent, answered (or after replay), latency; turns never answered by the end (after a
drain of --drain s) are lost; "error reply": answered with the product's error reply (a business
call failed: hallbot.payloads.Error). Also peak RSS per service (its process group), banners, HTTP errors,
restarts. Results: JSON under results/, markdown on stdout (and appended to --out).

    .venv/bin/python bench/bench_load.py [--kiosks 4 --chat 4 --duration 600] [--no-faults]
    .venv/bin/python bench/bench_load.py --sweep 1,2,4,8 [--step-duration 90]   # no faults
"""
from __future__ import annotations

import argparse
import asyncio
import dataclasses
import datetime as dt
import json
import os
import random
import secrets
import signal
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from load_stats import FaultWindow, TurnRecord, fmt_s, largest_within, summarize  # noqa: E402
from machine_info import describe  # noqa: E402

KIOSK_TEXTS = ("营业厅几点开门", "查一下停电计划", "电价是多少", "新装要带什么材料")
CHAT_TEXTS = ("有哪些交费方式", "查一下停电计划", "营业厅几点开门", "过户要带什么材料")
FAULT_ORDER = ("actions", "business", "speech", "rasa", "app")
FRAME, PAGE = 0x02, 4096


# -- the robot ---------------------------------------------------------------------------------
def start_robot(var_dir: Path, business_service: bool = True):
    """Every service under one Supervisor, plus a thread that supervises (restarts) them."""
    from bot.commands import build_services, enrol_demo_face, prepare_business
    from bot.supervisor import Service, Supervisor, free_port
    from hallbot.settings import Settings
    from vision.config import VisionConfig
    from vision.service import FaceService

    os.environ["HALLBOT_VAR_DIR"] = str(var_dir)
    os.environ.setdefault("HALLBOT_DEMO_CUSTOMERS", "150")
    settings = Settings(var_dir=var_dir, rasa_port=free_port(), actions_port=free_port(), app_port=free_port(),
                        speech_port=free_port())
    prepare_business(settings)            # seeds the SQLite business system the business service serves
    faces = FaceService(VisionConfig(var_dir=var_dir), emotion=False)
    assert enrol_demo_face(faces).ok
    faces.close()
    extra: dict[str, str] = {"HALLBOT_SPEECH_URL": f"http://{settings.host}:{settings.speech_port}"}
    services = []
    if business_service:
        port, token = free_port(), secrets.token_urlsafe(16)
        services.append(Service("business", [str(settings.app_python), "-m", "bot.cli", "business", "serve",
                                             "--port", str(port), "--token", token, "--db", settings.business_db_url,
                                             "--profile-interval", "0"],
                                port, f"http://{settings.host}:{port}/health", startup_timeout_s=90,
                                env=settings.as_env()))
        extra.update(HALLBOT_BUSINESS_URL=f"http://{settings.host}:{port}", HALLBOT_BUSINESS_TOKEN=token)
    services += build_services(settings, with_app=True)
    for service in services:
        service.env.update(extra)
    supervisor = Supervisor(services, var_dir / "logs", settings.host)
    ready = supervisor.start()
    from bot.warmup import warm_up
    from identity import keys

    try:
        ready["warm-up"] = warm_up(settings.rasa_url, keys.secret(keys.RASA_TOKEN, settings.var_dir))
    except BaseException:   # Ctrl-C during the warm-up: nothing outlives the benchmark
        supervisor.stop()
        raise
    stop = threading.Event()
    watcher = threading.Thread(target=supervisor.watch, kwargs={"poll_s": 0.5, "until": stop.is_set},
                               name="supervise", daemon=True)
    watcher.start()
    return supervisor, settings, ready, stop, watcher


def stop_robot(supervisor, stop: threading.Event, watcher: threading.Thread) -> None:
    stop.set()
    watcher.join(timeout=15)   # a health check in flight (5 s) ends before the children are stopped
    supervisor.stop()


def group_rss() -> dict[int, int]:
    """Resident bytes per process group, from /proc (a service is its own group: Rasa's children count)."""
    out: dict[int, int] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            fields = Path(entry.path, "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        pgrp, rss = int(fields[2]), int(fields[21]) * PAGE
        out[pgrp] = out.get(pgrp, 0) + rss
    return out


# -- the run's record ----------------------------------------------------------------------------
@dataclass
class Record:
    t0: float = field(default_factory=time.monotonic)
    turns: list[TurnRecord] = field(default_factory=list)
    windows: list[FaultWindow] = field(default_factory=list)
    banners: dict[str, int] = field(default_factory=dict)     # kiosk error notices by component
    http_errors: dict[str, int] = field(default_factory=dict)  # chat: status or exception name
    reconnects: int = 0
    resumed: int = 0
    greeted: int = 0
    not_greeted: int = 0
    peak_rss: dict[str, int] = field(default_factory=dict)
    watchers: list[asyncio.Task] = field(default_factory=list)

    def now(self) -> float:
        return time.monotonic() - self.t0

    def count(self, table: dict[str, int], key: str) -> None:
        table[key] = table.get(key, 0) + 1


# -- clients ------------------------------------------------------------------------------------
class Kiosk:
    """One kiosk screen over its WebSocket, reconnecting (with its resume token) as the page does."""

    def __init__(self, name: str, url: str, frames: list[bytes], record: Record, args, rng: random.Random) -> None:
        self.name, self.url, self.frames, self.record, self.args, self.rng = name, url, frames, record, args, rng
        self.ws = None
        self.token = ""
        self.connected = asyncio.Event()
        self.greeting = asyncio.Event()
        self.answered = asyncio.Event()
        self.turn: TurnRecord | None = None
        self.echoed = False
        self.text = ""
        self.turn_id = ""

    async def connection(self, http, done: asyncio.Event) -> None:
        import aiohttp

        first = True
        while not done.is_set():
            try:
                async with http.ws_connect(f"{self.url.replace('http', 'ws', 1)}/ws/kiosk/{self.name}",
                                           heartbeat=20) as ws:
                    await ws.send_str(json.dumps({"type": "hello", "rate": 16000, "camera": True, "mic": False,
                                                  "resume": self.token}))
                    self.ws = ws
                    self.connected.set()
                    if not first:
                        self.record.reconnects += 1
                    first = False
                    frames = asyncio.create_task(self.camera(ws))
                    try:
                        async for msg in ws:
                            if msg.type == aiohttp.WSMsgType.TEXT:
                                await self.on_message(json.loads(msg.data))
                            elif msg.type in (aiohttp.WSMsgType.ERROR, aiohttp.WSMsgType.CLOSE):
                                break
                    finally:
                        frames.cancel()
                        self.ws = None
                        self.connected.clear()
            except (aiohttp.ClientError, OSError, asyncio.TimeoutError):
                pass
            if not done.is_set():
                await asyncio.sleep(1.0)

    async def camera(self, ws) -> None:
        i = 0
        while not ws.closed:
            await ws.send_bytes(bytes([FRAME]) + self.frames[i % len(self.frames)])
            i += 1
            await asyncio.sleep(1.0 / self.args.fps)

    async def on_message(self, m: dict) -> None:
        kind = m.get("type")
        if kind == "resume":
            self.token = m.get("token") or ""
        elif kind == "notice" and m.get("level") == "error":
            self.record.count(self.record.banners, m.get("component") or "?")
            if self.turn and self.turn.answered is None:
                self.turn.replayed = True
        elif kind == "state" and m.get("note") == "resumed":
            self.record.resumed += 1
            if self.turn and self.turn.answered is None:   # sent to the app that died: again, as the page does
                self.turn.resent, self.turn.attempts = True, self.turn.attempts + 1
                await self.send_text(retry=True)
        elif kind == "user_text" and self.turn and self.turn.answered is None:
            self.echoed = True
        elif kind == "bot":
            if not self.greeting.is_set():
                self.greeting.set()
            elif self.turn and self.turn.answered is None and self.echoed:
                self.turn.answered = self.record.now()
                self.turn.error_reply = (m.get("custom") or {}).get("type") == "error"
                self.answered.set()

    async def send_text(self, retry: bool = False) -> None:
        self.echoed = False
        if self.ws is not None and not self.ws.closed:
            await self.ws.send_str(json.dumps({"type": "text", "text": self.text, "source": "keyboard",
                                               "id": self.turn_id, "retry": retry}))

    async def conversation(self, stop_turns: asyncio.Event) -> None:
        await self.connected.wait()
        try:
            await asyncio.wait_for(self.greeting.wait(), self.args.greeting_timeout)
            self.record.greeted += 1
        except asyncio.TimeoutError:
            self.record.not_greeted += 1
            self.greeting.set()
        n = 0
        while not stop_turns.is_set():
            await self.connected.wait()
            self.text = KIOSK_TEXTS[n % len(KIOSK_TEXTS)]
            n += 1
            self.answered.clear()
            self.turn, self.turn_id = TurnRecord(self.name, "kiosk", self.record.now()), secrets.token_hex(12)
            self.record.turns.append(self.turn)
            await self.send_text()
            await self.answered.wait()
            await pause(stop_turns, self.args.turn_interval * self.rng.uniform(0.75, 1.25))


async def pause(event: asyncio.Event, seconds: float) -> None:
    try:
        await asyncio.wait_for(event.wait(), seconds)
    except asyncio.TimeoutError:
        pass


async def chat_client(name: str, url: str, http, record: Record, args, rng: random.Random,
                      stop_turns: asyncio.Event, done: asyncio.Event) -> None:
    """A chat page's client: POST /api/message; an answer it did not get is asked again."""
    import aiohttp

    n = 0
    await pause(stop_turns, rng.uniform(0, args.turn_interval))
    while not stop_turns.is_set():
        text = CHAT_TEXTS[n % len(CHAT_TEXTS)]
        n += 1
        turn, turn_id, retry = TurnRecord(name, "chat", record.now()), secrets.token_hex(12), False
        record.turns.append(turn)
        while not done.is_set():
            try:   # a retry carries the turn's id: handled once if the lost attempt reached Rasa
                async with http.post(f"{url}/api/message", json={"sender": name, "text": text, "id": turn_id,
                                                                 "retry": retry}) as response:
                    body = await response.json(content_type=None) if response.status < 500 else {}
                    if response.status == 200 and body.get("messages"):
                        turn.answered = record.now()
                        turn.error_reply = any((m.get("custom") or {}).get("type") == "error" for m in body["messages"])
                        break
                    if response.status == 200:   # handled but silent (actions down): a new turn, as the kiosk does
                        turn_id, retry = secrets.token_hex(12), False
                        record.count(record.http_errors, "empty answer")
                    else:
                        retry = True
                        record.count(record.http_errors, f"HTTP {response.status}")
            except (aiohttp.ClientError, OSError, asyncio.TimeoutError, ValueError) as exc:
                retry = True
                record.count(record.http_errors, type(exc).__name__)
            turn.replayed, turn.attempts = True, turn.attempts + 1
            await asyncio.sleep(1.0)
        await pause(stop_turns, args.turn_interval * rng.uniform(0.75, 1.25))


# -- faults and RSS ------------------------------------------------------------------------------
def fault_times(services: list[str], duration: float) -> list[tuple[float, str]]:
    """Spread out: the k-th of n kills at duration * k / (n + 1)."""
    return [(duration * (i + 1) / (len(services) + 1), s) for i, s in enumerate(services)]


async def faults(supervisor, record: Record, plan: list[tuple[float, str]], back_timeout: float) -> None:
    for at, name in plan:
        await asyncio.sleep(max(0.0, at - record.now()))
        service = next(s for s in supervisor.services if s.name == name)
        if not service.process or service.process.poll() is not None:
            continue
        killed, start = service.process.pid, record.now()
        try:
            os.killpg(killed, signal.SIGKILL)
        except ProcessLookupError:
            continue
        print(f"  {start:6.1f} s: SIGKILL {name} (pid {killed})", flush=True)
        record.watchers.append(asyncio.create_task(watch_back(service, killed, start, record, back_timeout)))


async def watch_back(service, killed: int, start: float, record: Record, timeout: float) -> None:
    back = None
    try:
        while record.now() - start < timeout:
            if service.state == "running" and service.process and service.process.pid != killed:
                back = record.now()
                break
            await asyncio.sleep(0.25)
    finally:   # the run may end first: a service still down then is a window without an end
        record.windows.append(FaultWindow(service.name, start, back))
        print(f"  {record.now():6.1f} s: {service.name} " + (f"back after {back - start:.1f} s" if back else
                                                            "NOT back"), flush=True)


async def sample_rss(supervisor, record: Record, done: asyncio.Event) -> None:
    while not done.is_set():
        groups = await asyncio.to_thread(group_rss)
        for s in supervisor.services:
            if s.process and s.process.poll() is None:
                record.peak_rss[s.name] = max(record.peak_rss.get(s.name, 0), groups.get(s.process.pid, 0))
        await pause(done, 2.0)


# -- one load run -------------------------------------------------------------------------------
def live_jpegs() -> list[bytes]:
    from tests.kiosk.media import live_frames
    from vision.image_io import encode_jpeg

    return [encode_jpeg(f, quality=85) for f in live_frames(12)]


async def load(supervisor, settings, kiosks: int, chats: int, duration: float, args, tag: str,
               plan: list[tuple[float, str]]) -> Record:
    import aiohttp

    url = f"http://{settings.host}:{settings.app_port}"
    frames = live_jpegs()
    record = Record()
    rng = random.Random(args.seed)
    stop_turns, done = asyncio.Event(), asyncio.Event()
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(timeout=timeout) as http:
        clients = [Kiosk(f"{tag}k{i}", url, frames, record, args, random.Random(rng.random())) for i in range(kiosks)]
        tasks = []
        for k in clients:
            tasks += [asyncio.create_task(k.connection(http, done)), asyncio.create_task(k.conversation(stop_turns))]
            await asyncio.sleep(0.3)
        tasks += [asyncio.create_task(chat_client(f"{tag}c{i}", url, http, record, args, random.Random(rng.random()),
                                                  stop_turns, done)) for i in range(chats)]
        helpers = [asyncio.create_task(sample_rss(supervisor, record, done)),
                   asyncio.create_task(faults(supervisor, record, plan, args.back_timeout))]
        try:
            await asyncio.sleep(duration)
            stop_turns.set()
            deadline = record.now() + args.drain
            while record.now() < deadline and any(t.answered is None for t in record.turns):
                await asyncio.sleep(0.5)
        finally:
            done.set()
            for task in tasks + helpers + record.watchers:
                task.cancel()
            await asyncio.gather(*tasks, *helpers, *record.watchers, return_exceptions=True)
    return record


def result_of(record: Record, supervisor, restarts_before: dict[str, int], kiosks: int, chats: int,
              duration: float) -> dict:
    summary = summarize(record.turns, record.windows)
    return {"kiosks": kiosks, "chat_clients": chats, "duration_s": duration, "summary": summary.to_dict(),
            "faults": [dataclasses.asdict(w) | {"recovery_s": None if w.back is None else round(w.back - w.start, 1)}
                       for w in record.windows],
            "restarts": {s.name: s.restarts - restarts_before.get(s.name, 0) for s in supervisor.services},
            "not_back": [w.service for w in record.windows if w.back is None],
            "peak_rss_mb": {k: round(v / 2**20) for k, v in record.peak_rss.items()},
            "banners": record.banners, "http_errors": record.http_errors, "reconnects": record.reconnects,
            "resumed": record.resumed, "greeted": record.greeted, "not_greeted": record.not_greeted,
            "turns": [dataclasses.asdict(t) for t in record.turns]}


# -- reports ------------------------------------------------------------------------------------
def run_table(r: dict) -> str:
    s = r["summary"]
    rows = [("all turns", s)] + [(f"{kind} turns", part) for kind, part in s["by_kind"].items()]
    lines = ["| turns | sent | answered | after replay | resent | error reply | lost | p50 s | p95 s | max s | outside faults: n, p50 / p95 s |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for label, p in rows:
        lines.append(f"| {label} | {p['sent']} | {p['answered']} | {p['answered_after_replay']} | {p['resent']} | "
                     f"{p['error_replies']} | {p['lost']} | {fmt_s(p['p50_s'])} | {fmt_s(p['p95_s'])} | {fmt_s(p['max_s'])} | "
                     f"{p['outside_faults']}, {fmt_s(p['p50_outside_faults_s'])} / {fmt_s(p['p95_outside_faults_s'])} |")
    lines += ["", "| service | killed at s | back after s | restarts seen | peak RSS MB |", "|---|---|---|---|---|"]
    windows = {w["service"]: w for w in r["faults"]}
    for name, restarts in r["restarts"].items():
        w = windows.get(name)
        lines.append(f"| {name} | {'-' if not w else round(w['start'])} | "
                     f"{'-' if not w else ('NOT BACK' if w['recovery_s'] is None else w['recovery_s'])} | "
                     f"{restarts} | {r['peak_rss_mb'].get(name, 'n/a')} |")
    lines += ["", f"Kiosk banners (error notices by component): {r['banners'] or 'none'}; chat HTTP errors: "
              f"{r['http_errors'] or 'none'}; kiosk reconnects {r['reconnects']}, resumed {r['resumed']}; "
              f"greeted {r['greeted']}/{r['greeted'] + r['not_greeted']}."]
    return "\n".join(lines)


def sweep_table(steps: list[dict], limit: float) -> str:
    lines = ["| kiosks + chat clients | turns | lost | turns/s | p50 s | p95 s | max s |", "|---|---|---|---|---|---|---|"]
    for r in steps:
        s = r["summary"]
        lines.append(f"| {r['kiosks']} + {r['chat_clients']} | {s['sent']} | {s['lost']} | "
                     f"{s['answered'] / r['duration_s']:.2f} | {fmt_s(s['p50_s'])} | {fmt_s(s['p95_s'])} | {fmt_s(s['max_s'])} |")
    best = largest_within({r["kiosks"]: (r["summary"]["p95_s"] if not r["summary"]["lost"] else None)
                           for r in steps}, limit)
    lines += ["", f"Largest N with p95 turn <= {limit} s and nothing lost: {best if best is not None else 'none'}."]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kiosks", type=int, default=4)
    parser.add_argument("--chat", type=int, default=4, help="chat clients (POST /api/message)")
    parser.add_argument("--duration", type=float, default=600.0, help="seconds of load (then a drain)")
    parser.add_argument("--no-faults", action="store_true", help="kill no service")
    parser.add_argument("--faults", default=",".join(FAULT_ORDER), help="services to kill, in this order")
    parser.add_argument("--sweep", default="", help="e.g. 1,2,4,8: N kiosks + N chat clients per step, no faults")
    parser.add_argument("--step-duration", type=float, default=90.0)
    parser.add_argument("--limit", type=float, default=1.5, help="the sweep's p95 target (s)")
    parser.add_argument("--turn-interval", type=float, default=4.0, help="seconds between a client's turns")
    parser.add_argument("--fps", type=float, default=1.0, help="camera frames per second per kiosk")
    parser.add_argument("--drain", type=float, default=120.0, help="seconds to wait for answers after the load")
    parser.add_argument("--back-timeout", type=float, default=300.0, help="a killed service not back by then: NOT BACK")
    parser.add_argument("--greeting-timeout", type=float, default=60.0)
    parser.add_argument("--no-business-service", action="store_true", help="embedded business DB (in the actions)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--results", default=str(ROOT / "results"))
    parser.add_argument("--out", default="", help="append the markdown section to this file (e.g. BENCHMARKS.md)")
    args = parser.parse_args()

    def _stop(signum, frame):   # SIGTERM as Ctrl-C: the finally below stops every child
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)

    started = dt.datetime.now(dt.timezone.utc)
    machine = describe()
    command = "bench/bench_load.py " + " ".join(sys.argv[1:])
    result: dict = {"machine": machine, "date": started.isoformat(timespec="seconds"), "command": command}
    with tempfile.TemporaryDirectory(prefix="hallbot-bench-load-") as tmp:
        t = time.monotonic()
        supervisor, settings, ready, stop, watcher = start_robot(Path(tmp) / "var", not args.no_business_service)
        try:
            result["ready_s"] = {k: round(v, 1) for k, v in ready.items()}
            print(f"robot ready in {time.monotonic() - t:.0f} s: {result['ready_s']}", flush=True)
            if args.sweep:
                steps = []
                for i, n in enumerate(int(x) for x in args.sweep.split(",")):
                    before = {s.name: s.restarts for s in supervisor.services}
                    record = asyncio.run(load(supervisor, settings, n, n, args.step_duration, args, f"s{i}n{n}", []))
                    steps.append(result_of(record, supervisor, before, n, n, args.step_duration))
                    s = steps[-1]["summary"]
                    print(f"  N={n}: {s['sent']} turns, lost {s['lost']}, p50 {fmt_s(s['p50_s'])} s, "
                          f"p95 {fmt_s(s['p95_s'])} s", flush=True)
                result["sweep"] = steps
                table = sweep_table(steps, args.limit)
            else:
                plan = [] if args.no_faults else fault_times([s for s in args.faults.split(",") if s and any(
                    x.name == s for x in supervisor.services)], args.duration)
                before = {s.name: s.restarts for s in supervisor.services}
                record = asyncio.run(load(supervisor, settings, args.kiosks, args.chat, args.duration, args, "", plan))
                result["run"] = result_of(record, supervisor, before, args.kiosks, args.chat, args.duration)
                table = run_table(result["run"])
        finally:
            stop_robot(supervisor, stop, watcher)
    Path(args.results).mkdir(parents=True, exist_ok=True)
    out = Path(args.results) / f"load-{'sweep' if args.sweep else 'run'}-{started:%Y%m%dT%H%M%S}.json"
    out.write_text(json.dumps(result, ensure_ascii=False, indent=1))
    what = (f"sweep {args.sweep}, {args.step_duration:.0f} s per step, no faults" if args.sweep else
            f"{args.kiosks} kiosks + {args.chat} chat clients, {args.duration:.0f} s, "
            + ("no faults" if args.no_faults else f"SIGKILL once each: {args.faults}"))
    text = f"""
### Load (bench/bench_load.py): {what} — {started:%Y-%m-%d %H:%M} UTC
Machine: {machine}. Command: `.venv/bin/python {command}`. Robot ready: {result['ready_s']} s. JSON: {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}.

{table}
"""
    print(text)
    if args.out:
        with open(args.out, "a", encoding="utf-8") as f:
            f.write(text)
    lost = (result.get("run") or {}).get("summary", {}).get("lost", 0)
    return 1 if lost or (result.get("run") or {}).get("not_back") else 0


if __name__ == "__main__":
    try:
        raise SystemExit(main())
    except KeyboardInterrupt:   # every child was stopped in main()'s finally
        print("bench_load: interrupted; every service stopped", file=sys.stderr)
        raise SystemExit(130) from None
