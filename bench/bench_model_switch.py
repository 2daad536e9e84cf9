"""Turn latency while the running robot switches model (`hallbot model switch`: Rasa's PUT /model,
loaded beside the serving model by rasa_addons/live_model.py), against the same turns with no switch.
Appends to BENCHMARKS.md.

    .venv/bin/python bench/bench_model_switch.py [--switches 3]

One conversation's turns back to back ("你好", REST channel, a new sender per turn) against the real
Rasa server + action server; the model is models/hallbot.tar.gz kept as two versions.
"""
from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from load_stats import percentile  # noqa: E402
from machine_info import describe  # noqa: E402


async def turns_until(client, done, pause_s: float = 0.1) -> list[float]:
    latencies = []
    while not done():
        started = time.perf_counter()
        replies = await client.send(f"bench-switch-{time.monotonic_ns()}", "你好")
        assert replies, "no answer"
        latencies.append((time.perf_counter() - started) * 1000)
        await asyncio.sleep(pause_s)
    return latencies


async def measure(settings, store, switches: int, idle_s: float) -> dict[str, list[float]]:
    from bot import model_switch
    from bot.rasa_client import RasaClient
    from identity import keys

    client = RasaClient(settings.rasa_url, keys.secret(keys.RASA_TOKEN, settings.var_dir), timeout_s=120)
    results: dict[str, list[float]] = {"idle": [], "switching": [], "switch_s": []}
    try:
        for i in range(switches):
            until = time.monotonic() + idle_s
            results["idle"] += await turns_until(client, lambda until=until: time.monotonic() > until)
            name = ("second", "first")[i % 2]
            started = time.perf_counter()
            task = asyncio.ensure_future(model_switch.reload_running(settings, str(store.model_file(name))))
            results["switching"] += await turns_until(client, task.done)
            live = await task
            results["switch_s"].append(time.perf_counter() - started)
            assert live.loaded == f"{name}.tar.gz", live
    finally:
        await client.close()
    return results


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--switches", type=int, default=3)
    parser.add_argument("--idle-s", type=float, default=20.0, help="seconds of turns without a switch before each")
    parser.add_argument("--out", default=str(ROOT / "BENCHMARKS.md"))
    args = parser.parse_args()
    model = ROOT / "models" / "hallbot.tar.gz"
    if not model.exists():
        raise SystemExit("no trained model: run `hallbot train` first")
    with tempfile.TemporaryDirectory() as tmp:
        var_dir, model_dir = Path(tmp) / "var", Path(tmp) / "models"
        var_dir.mkdir()
        os.environ.update({"HALLBOT_VAR_DIR": str(var_dir), "HALLBOT_DEMO_CUSTOMERS": "150", "HALLBOT_DEMO": "1"})
        from bot.commands import build_services
        from bot.model_versions import ModelStore, ModelVersion
        from bot.supervisor import Supervisor, free_port
        from business import factory
        from hallbot.settings import Settings

        factory.get_business()
        store = ModelStore(model_dir)
        for created, name in enumerate(("first", "second")):
            copy = model_dir / f"{name}-in.tar.gz"
            model_dir.mkdir(exist_ok=True)
            shutil.copy(model, copy)
            store.add(copy, ModelVersion(name=name, fingerprint=name, inputs={}, created=float(created)))
        store.point_to("first", "bench")
        settings = Settings(var_dir=var_dir, model_dir=model_dir, rasa_port=free_port(), actions_port=free_port(),
                            app_port=free_port())
        supervisor = Supervisor(build_services(settings, with_app=False), var_dir / "logs", settings.host)
        supervisor.start()
        try:
            results = asyncio.run(measure(settings, store, args.switches, args.idle_s))
        finally:
            supervisor.stop()

    def row(label: str, values: list[float]) -> str:
        return (f"| {label} | {len(values)} | {percentile(values, 50):.0f} | {percentile(values, 95):.0f} | "
                f"{max(values):.0f} |")

    switch_s = results["switch_s"]
    lines = ["", f"## Switching the running robot's model (bench/bench_model_switch.py) — "
             f"{dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC", "",
             f"Machine: {describe()}. Command: `.venv/bin/python bench/bench_model_switch.py {' '.join(sys.argv[1:])}`. "
             f"{args.switches} switches between two copies of models/hallbot.tar.gz through PUT /model "
             f"(rasa_addons/live_model.py: loaded in a worker thread), {args.idle_s:g} s of turns without a switch "
             "before each; turns back to back (\"你好\", REST, real Rasa + action server), none failed.", "",
             f"Switch (PUT /model sent -> /status reports the new model): {', '.join(f'{s:.1f}' for s in switch_s)} s.", "",
             "| turns | n | p50 ms | p95 ms | max ms |", "|---|---|---|---|---|",
             row("no switch", results["idle"]), row("during a switch", results["switching"])]
    text = "\n".join(lines) + "\n"
    print(text)
    with open(args.out, "a", encoding="utf-8") as out:
        out.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
