"""Dialogue core benchmark: Rasa cold start (stock vs hallbot's fast load), /model/parse and
full REST turns (with a custom action hitting the business system), memory. Appends to
BENCHMARKS.md.

    .venv/bin/python bench/bench_dialogue.py [--parses 300] [--turns 100] [--cold-starts 1]
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx
import yaml

from identity import keys
from identity.proof import signed_entities

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from machine_info import describe
from percentiles import pct

from bot.commands import build_services
from bot.supervisor import Supervisor, free_port
from hallbot.settings import ROOT, Settings


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its children, in MB."""
    total = 0
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            text = status.read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in text.splitlines() if ":" in line)
        if status.parent.name == str(pid) or fields.get("PPid", "").strip() == str(pid):
            total += int(fields.get("VmRSS", "0 kB").split()[0])
    return total / 1024






def start(var_dir: Path, stock: bool) -> tuple[Supervisor, Settings, dict[str, float]]:
    settings = Settings(var_dir=var_dir, rasa_port=free_port(), actions_port=free_port(), app_port=free_port())
    services = build_services(settings, with_app=False)
    for service in services:
        service.env["HALLBOT_STOCK_RASA_LOAD"] = "1" if stock else "0"
    supervisor = Supervisor(services, var_dir / "logs")
    timings = supervisor.start()
    return supervisor, settings, timings


def nlu_texts() -> list[str]:
    texts = []
    for path in (ROOT / "nlu_data").glob("*.yml"):
        for block in yaml.safe_load(path.read_text(encoding="utf-8")).get("nlu", []):
            for line in (block.get("examples") or "").splitlines():
                if line.startswith("- "):
                    texts.append(line[2:].replace("[", "").split("](")[0] if "](" in line else line[2:])
    return texts


def bench_parse(client: httpx.Client, url: str, texts: list[str], n: int) -> list[float]:
    times = []
    for text in random.Random(7).choices(texts, k=n):
        started = time.perf_counter()
        client.post(f"{url}/model/parse", json={"text": text}).raise_for_status()
        times.append((time.perf_counter() - started) * 1000)
    return times


def bench_turns(client: httpx.Client, url: str, n: int, text: str, identified: bool,
                per_conversation: int = 10) -> tuple[list[float], list[float]]:
    """Turns inside running conversations (a kiosk customer talking), and separately the first
    turn of each new conversation (which also pays for Rasa's session start)."""
    steady, first = [], []
    for i in range(n):
        sender = f"bench-{text[:2]}-{identified}-{i // per_conversation}"
        if identified and i % per_conversation == 0:
            entities = signed_entities(keys.secret(keys.SENSOR_KEY), sender, "EXTERNAL_face_recognized",
                                       {"customer_id": "C000002"})   # as the kiosk reports a face
            client.post(f"{url}/conversations/{sender}/trigger_intent",
                        json={"name": "EXTERNAL_face_recognized", "entities": entities}).raise_for_status()
        started = time.perf_counter()
        replies = client.post(f"{url}/webhooks/rest/webhook", json={"sender": sender, "message": text}).json()
        (first if i % per_conversation == 0 and not identified else steady).append((time.perf_counter() - started) * 1000)
        assert replies, f"no reply to {text}"
    return steady, first


def row(name: str, values: list[float]) -> str:
    return f"| {name} | {len(values)} | {statistics.median(values):.1f} | {pct(values, 95):.1f} |"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--parses", type=int, default=300)
    parser.add_argument("--turns", type=int, default=100)
    parser.add_argument("--cold-starts", type=int, default=1, help="cold starts of each loader")
    parser.add_argument("--out", default=str(ROOT / "BENCHMARKS.md"))
    args = parser.parse_args()
    if not (ROOT / "models" / "hallbot.tar.gz").exists():
        print("no trained model: run `make train` first", file=sys.stderr)
        return 1
    header = f"Machine: {describe()}."
    began = time.monotonic()
    cold: dict[str, list[tuple[float, float]]] = {"stock Rasa 3.6 load": [], "hallbot fast load": []}
    results: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["HALLBOT_DEMO_CUSTOMERS"] = "200"
        os.environ["HALLBOT_VAR_DIR"] = tmp
        from business import factory

        factory.get_business()  # seed before timing anything
        for i in range(args.cold_starts):
            for name, stock in (("stock Rasa 3.6 load", True), ("hallbot fast load", False)):
                supervisor, settings, timings = start(Path(tmp), stock)
                rasa = next(s for s in supervisor.services if s.name == "rasa")
                cold[name].append((timings["rasa"], rss_mb(rasa.process.pid)))
                last = (i == args.cold_starts - 1) and not stock
                if not last:
                    supervisor.stop()
        try:
            with httpx.Client(timeout=60, params={"token": keys.secret(keys.RASA_TOKEN, settings.var_dir)}) as client:
                url = settings.rasa_url
                texts = nlu_texts()
                bench_parse(client, url, texts, 20)  # warm-up
                bench_turns(client, url, 5, "有没有欠费", identified=True)
                results.append(row("/model/parse (NLU only)", bench_parse(client, url, texts, args.parses)))
                greet, first = bench_turns(client, url, args.turns, "你好", identified=False)
                results.append(row("REST turn, response only: 你好 -> utter_greet", greet))
                results.append(row("same, first turn of a new conversation (session start)", first))
                arrears, _ = bench_turns(client, url, args.turns, "有没有欠费", identified=True)
                results.append(row("REST turn, custom action: 有没有欠费 -> action_query_arrears (business DB)", arrears))
            rasa_mb = rss_mb(next(s for s in supervisor.services if s.name == "rasa").process.pid)
            actions_mb = rss_mb(next(s for s in supervisor.services if s.name == "actions").process.pid)
        finally:
            supervisor.stop()
    lines = [
        "", f"## Dialogue core (Rasa 3.6.21 + actions) — {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC", "",
        header + f" Command: `.venv/bin/python bench/bench_dialogue.py {' '.join(sys.argv[1:])}`.",
        "Model: models/hallbot.tar.gz (config.yml pipeline); tracker store SQLite; action server with the SQL business "
        "system (200 demo customers); HTTP client on the same machine; turns are 10 per conversation.", "",
        "### Rasa server cold start (process start -> /status reports the model), memory when ready", "",
        "| loader | runs | start s (median) | RSS MB |", "|---|---|---|---|",
    ]
    for name, runs in cold.items():
        lines.append(f"| {name} | {len(runs)} | {statistics.median(r[0] for r in runs):.1f} | "
                     f"{statistics.median(r[1] for r in runs):.0f} |")
    lines += ["", "Targets: cold start <= 20 s. Why the stock start is slow and what the fast load changes: "
              "rasa_addons/fast_load.py.", "", "### Latency (ms), warm server", "",
              "| request | n | p50 | p95 |", "|---|---|---|---|", *results, "",
              f"Targets: parse p50 <= 15 ms, turn p50 <= 100 ms. Memory after the run: Rasa {rasa_mb:.0f} MB, "
              f"action server {actions_mb:.0f} MB.", f"Benchmark wall time {time.monotonic() - began:.0f} s.", ""]
    text = "\n".join(lines)
    print(text)
    with open(args.out, "a", encoding="utf-8") as out:
        out.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
