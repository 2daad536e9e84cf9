"""The machine line every benchmark section starts with (BENCHMARKS.md)."""
from __future__ import annotations

import os
import platform
from pathlib import Path


def describe() -> str:
    """Cores, CPU model, Python version and the load average when the run started."""
    try:
        cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                    if line.startswith("model name")), platform.processor() or "unknown CPU")
    except OSError:
        cpu = platform.processor() or "unknown CPU"
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return f"nproc {os.cpu_count()}, {cpu}, Python {platform.python_version()}, load average at start {load}"
