"""Every YAML file training reads, parsed before Rasa sees it: a broken file is an error with file,
line and column, never skipped.

Why: Rasa 3.6 decides whether a file is NLU or story data by parsing it, so a file that does not
parse is not "bad data" to it but "not training data": `rasa data validate` says the data is valid
and `rasa train` trains without the file, silently (seen with an indentation slip in nlu_data/)."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

TRAINING_YAML = ("domain.yml", "config.yml", "nlu_data", "stories")


@dataclass(frozen=True)
class YamlError:
    file: str
    line: int          # 1-based; 0 when the parser gave no position
    column: int
    problem: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}: {self.problem}"


def _files(root: Path) -> list[Path]:
    found = []
    for name in TRAINING_YAML:
        path = root / name
        found += sorted(path.rglob("*.yml")) + sorted(path.rglob("*.yaml")) if path.is_dir() else [path]
    return [p for p in found if p.is_file()]


def broken(root: Path) -> list[YamlError]:
    errors = []
    for path in _files(root):
        relative = str(path.relative_to(root))
        try:
            yaml.safe_load(path.read_text(encoding="utf-8"))
        except UnicodeDecodeError as error:
            errors.append(YamlError(relative, 0, 0, f"not UTF-8 text ({error.reason})"))
        except yaml.YAMLError as error:
            mark = getattr(error, "problem_mark", None)
            problem = " ".join(str(p) for p in (getattr(error, "context", None), getattr(error, "problem", None)) if p)
            errors.append(YamlError(relative, mark.line + 1 if mark else 0, mark.column + 1 if mark else 0,
                                    problem or str(error).splitlines()[0]))
    return errors
