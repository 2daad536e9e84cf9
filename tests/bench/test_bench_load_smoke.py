"""bench/bench_load.py end to end, briefly: the whole robot, one kiosk and one chat client for
~20 s, no faults. Every turn answered, the JSON written, no service left running."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_bench_load_runs_briefly_and_loses_nothing(trained_model, tmp_path):
    run = subprocess.run([sys.executable, str(ROOT / "bench" / "bench_load.py"), "--kiosks", "1", "--chat", "1",
                          "--duration", "20", "--no-faults", "--turn-interval", "3", "--drain", "60",
                          "--results", str(tmp_path)], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    (result_file,) = tmp_path.glob("load-run-*.json")
    result = json.loads(result_file.read_text())["run"]
    summary = result["summary"]
    assert summary["lost"] == 0
    assert summary["by_kind"]["kiosk"]["answered"] >= 2 and summary["by_kind"]["chat"]["answered"] >= 2
    assert result["greeted"] == 1, "the kiosk's live face was greeted"
    assert set(result["peak_rss_mb"]) >= {"rasa", "actions", "app", "speech", "business"}
    assert "| all turns |" in run.stdout
