"""The conversation tests (tests/e2e/*.yml) through one model: `rasa test core --e2e`, read back.

Why one function: `hallbot train` runs it on every new model before the model may go into service
(a model that breaks a kept conversation stays out, like one that drops on the held-out split), and
the test suite runs the same on the model in service."""
from __future__ import annotations

import re
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import yaml

from bot import rasa_service
from hallbot.settings import Settings

STORIES = Path("tests/e2e")


@dataclass(frozen=True)
class StoryResult:
    ran: bool                    # rasa test finished (False: it crashed; output says why)
    evaluated: int
    failed: tuple[str, ...]      # the failing stories' names
    output: str

    @property
    def passed(self) -> bool:
        return self.ran and not self.failed

    def summary(self) -> str:
        if not self.ran:
            return "conversation tests did not run: " + (self.output.strip().splitlines() or ["no output"])[-1][:300]
        return (f"conversation tests: {self.evaluated - len(self.failed)} of {self.evaluated} passed"
                + (f"; failing: {', '.join(self.failed)}" if self.failed else ""))


TEST_PREFIX = "test_"   # Rasa reads only files named test_*.yml as conversation tests (rasa.shared.constants)


def count_stories(stories: Path) -> int:
    return sum(path.read_text(encoding="utf-8").count("- story:")
               for path in sorted(stories.glob(f"{TEST_PREFIX}*.yml")))


def run(settings: Settings, model: Path, stories: Path | None = None, out_dir: Path | None = None) -> StoryResult:
    stories = stories or settings.root / STORIES
    with tempfile.TemporaryDirectory(prefix="hallbot-stories-") as scratch:
        out = out_dir or Path(scratch)
        result = subprocess.run(
            rasa_service.rasa_command(settings, "test", "core", "--e2e", "--model", str(model), "--stories",
                                      str(stories), "--out", str(out), "--no-plot"),
            cwd=settings.root, env=rasa_service.rasa_env(), capture_output=True, text=True, timeout=900)
        output = result.stdout + result.stderr
        failed_file = out / "failed_test_stories.yml"
        if result.returncode != 0 or not failed_file.exists():
            return StoryResult(False, 0, (), output)
        failed = yaml.safe_load(failed_file.read_text(encoding="utf-8")) or {}
        # Rasa names a failed story "<name> (<its file>)"
        names = tuple(re.sub(r" \([^()]*\.ya?ml\)$", "", str(s.get("story")))
                      for s in failed.get("stories") or [] if isinstance(s, dict))
        evaluated = re.search(r"Evaluating (\d+) stories", output)
        return StoryResult(True, int(evaluated.group(1)) if evaluated else 0, names, output)
