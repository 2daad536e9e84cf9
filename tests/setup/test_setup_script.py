"""scripts/setup.sh is idempotent, and pins keep Rasa's venv intact."""
from __future__ import annotations

import subprocess

from hallbot.settings import ROOT


def test_second_setup_run_installs_nothing():
    result = subprocess.run(["bash", "scripts/setup.sh"], cwd=ROOT, capture_output=True, text=True, timeout=1800)
    assert result.returncode == 0, result.stderr
    # `make test` ran setup just before: with unchanged requirement files nothing is installed again
    assert "installing" not in result.stdout, result.stdout


def test_rasa_venv_has_the_pinned_versions():
    lock = dict(line.strip().split("==", 1) for line in (ROOT / "requirements" / "rasa-lock.txt").read_text().splitlines()
                if "==" in line)
    script = "import importlib.metadata as m; print(m.version('rasa'), m.version('numpy'), m.version('tensorflow'))"
    out = subprocess.run([str(ROOT / ".venv-rasa" / "bin" / "python"), "-c", script], capture_output=True, text=True,
                         check=True).stdout.split()
    assert out == [lock["rasa"], lock["numpy"], lock["tensorflow"]] == ["3.6.21", "1.23.5", "2.12.0"]
