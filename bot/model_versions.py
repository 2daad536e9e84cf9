"""Every trained Rasa model kept as a version, and which one is in service.

Why: `hallbot train` used to overwrite models/hallbot.tar.gz, so a worse model could not be undone.
Now each model lives in models/versions/<name>.tar.gz beside <name>.json (its record: the data
fingerprints it was trained on, when, how, and its held-out scores), and models/hallbot.tar.gz is
a relative symlink to the version in service. Everything that loads hallbot.tar.gz (Rasa's start
command, the tests, `hallbot eval`) keeps working; the link is replaced atomically (a new link
renamed over the old), so a reader sees the old model or the new one, never none.
models/service_log.json lists the switches, newest last: rollback goes back one step in it.

A hallbot.tar.gz from before versions (a plain file) is adopted as a version the first time
the store is used, with the fingerprint `hallbot train` stamped beside it."""
from __future__ import annotations

import json
import os
import shutil
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

SERVICE_NAME = "hallbot.tar.gz"
LEGACY_STAMP = "hallbot.fingerprint"


class ModelStoreError(RuntimeError):
    """A version is missing or a switch is impossible; the message is safe to show a trainer."""


@dataclass(frozen=True)
class HeldOutScores:
    accuracy: float
    macro_f1: float
    per_intent_f1: dict[str, float]
    examples: int

    @classmethod
    def from_report(cls, report: dict[str, Any]) -> HeldOutScores:
        """From nlu_eval.Report.as_dict()."""
        return cls(accuracy=report["intent_accuracy"], macro_f1=report["intent_macro_f1"],
                   per_intent_f1={k: v["f1"] for k, v in report["per_intent"].items()}, examples=report["examples"])

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> HeldOutScores:
        return cls(accuracy=float(data["accuracy"]), macro_f1=float(data["macro_f1"]),
                   per_intent_f1={str(k): float(v) for k, v in data["per_intent_f1"].items()},
                   examples=int(data["examples"]))


@dataclass(frozen=True)
class ModelVersion:
    name: str
    fingerprint: str                   # rasa_service.training_fingerprint: everything training read
    inputs: dict[str, str]             # rasa_service.input_fingerprints: one hash per kind of input
    created: float                     # epoch seconds
    mode: str = "full"                 # full | finetune | adopted (a model from before versions)
    train_s: float | None = None
    heldout: HeldOutScores | None = None
    base: str | None = None            # the version a finetune started from
    note: str = ""

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ModelVersion:
        heldout = data.get("heldout")
        return cls(name=str(data["name"]), fingerprint=str(data["fingerprint"]),
                   inputs={str(k): str(v) for k, v in (data.get("inputs") or {}).items()},
                   created=float(data["created"]), mode=str(data.get("mode", "full")),
                   train_s=data.get("train_s"), heldout=HeldOutScores.from_dict(heldout) if heldout else None,
                   base=data.get("base"), note=str(data.get("note", "")))

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Switch:
    name: str
    at: float
    reason: str                        # trained | switch | rollback | forced

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Switch:
        return cls(str(data["name"]), float(data["at"]), str(data.get("reason", "")))


def version_name(created: float, fingerprint: str) -> str:
    """Sorts by time; the fingerprint's head tells two models of the same second apart."""
    return time.strftime("%Y%m%d-%H%M%S", time.gmtime(created)) + "-" + fingerprint[:6]


def changed_inputs(before: dict[str, str], after: dict[str, str]) -> list[str]:
    """Kinds of input whose hash differs (all of them when `before` is unknown)."""
    return sorted(k for k in after if before.get(k) != after[k])


@dataclass
class ModelStore:
    model_dir: Path
    versions_dir: Path = field(init=False)

    def __post_init__(self) -> None:
        self.versions_dir = self.model_dir / "versions"

    @property
    def service_path(self) -> Path:
        return self.model_dir / SERVICE_NAME

    @property
    def _log_path(self) -> Path:
        return self.model_dir / "service_log.json"

    def model_file(self, name: str) -> Path:
        return self.versions_dir / f"{name}.tar.gz"

    def report_file(self, name: str) -> Path:
        return self.versions_dir / f"{name}.report.txt"

    def _record_file(self, name: str) -> Path:
        return self.versions_dir / f"{name}.json"

    # --- versions -------------------------------------------------------------------------------
    def versions(self) -> list[ModelVersion]:
        """Oldest first."""
        if not self.versions_dir.is_dir():
            return []
        records = [ModelVersion.from_dict(json.loads(p.read_text(encoding="utf-8")))
                   for p in self.versions_dir.glob("*.json")]
        return sorted((r for r in records if self.model_file(r.name).exists()), key=lambda r: (r.created, r.name))

    def get(self, name: str) -> ModelVersion:
        path = self._record_file(name)
        if not path.exists() or not self.model_file(name).exists():
            known = ", ".join(v.name for v in self.versions()) or "none"
            raise ModelStoreError(f"no model version {name!r} (known: {known})")
        return ModelVersion.from_dict(json.loads(path.read_text(encoding="utf-8")))

    def save(self, version: ModelVersion) -> None:
        self.versions_dir.mkdir(parents=True, exist_ok=True)
        _write_atomic(self._record_file(version.name), json.dumps(version.as_dict(), ensure_ascii=False, indent=1))

    def add(self, trained: Path, version: ModelVersion) -> ModelVersion:
        """Move a freshly trained model file into the store under the version's name."""
        self.versions_dir.mkdir(parents=True, exist_ok=True)
        if trained.resolve() != self.model_file(version.name).resolve():
            shutil.move(str(trained), self.model_file(version.name))
        self.save(version)
        return version

    # --- the version in service -----------------------------------------------------------------
    def in_service(self) -> ModelVersion | None:
        self.adopt_legacy()
        link = self.service_path
        if not link.is_symlink():
            return None
        name = Path(os.readlink(link)).name.removesuffix(".tar.gz")
        try:
            return self.get(name)
        except ModelStoreError:
            return None

    def point_to(self, name: str, reason: str) -> ModelVersion:
        """Put a version in service: the link is renamed over the old one (atomic on POSIX)."""
        version = self.get(name)
        temporary = self.model_dir / f".{SERVICE_NAME}.{os.getpid()}"
        if temporary.is_symlink() or temporary.exists():
            temporary.unlink()
        temporary.symlink_to(Path("versions") / f"{name}.tar.gz")
        os.replace(temporary, self.service_path)
        self._append_log(Switch(name, time.time(), reason))
        return version

    def service_log(self) -> list[Switch]:
        if not self._log_path.exists():
            return []
        return [Switch.from_dict(d) for d in json.loads(self._log_path.read_text(encoding="utf-8"))]

    def _append_log(self, switch: Switch) -> None:
        entries = [asdict(s) for s in self.service_log()] + [asdict(switch)]
        _write_atomic(self._log_path, json.dumps(entries, ensure_ascii=False, indent=1))

    def rollback_target(self) -> ModelVersion:
        """The version that was in service before the current one (a rollback undoes a switch,
        so rolling back twice goes back two versions, not forth and back)."""
        stack: list[str] = []
        for switch in self.service_log():
            if switch.reason == "rollback" and len(stack) >= 2 and stack[-2] == switch.name:
                stack.pop()
            elif not stack or stack[-1] != switch.name:
                stack.append(switch.name)
        current = self.in_service()
        for name in reversed(stack[:-1] if stack and current and stack[-1] == current.name else stack):
            if (current is None or name != current.name) and self.model_file(name).exists():
                return self.get(name)
        raise ModelStoreError("no earlier model to roll back to")

    def prune(self, keep: int) -> list[str]:
        """Delete all but the newest `keep` versions (a model is ~90 MB), never the one in service nor
        the one a rollback would go back to."""
        versions = self.versions()
        current = self.in_service()
        kept = {v.name for v in versions[-keep:]} if keep > 0 else set()
        if current is not None:
            kept.add(current.name)
            try:
                kept.add(self.rollback_target().name)
            except ModelStoreError:
                pass   # nothing to roll back to: nothing more to keep
        removed = []
        for version in versions:
            if version.name not in kept:
                for path in (self.model_file(version.name), self.report_file(version.name),
                             self.report_file(version.name).with_suffix(".svg"), self._record_file(version.name)):
                    path.unlink(missing_ok=True)
                removed.append(version.name)
        return removed

    def adopt_legacy(self) -> ModelVersion | None:
        """A plain hallbot.tar.gz (trained before versions) becomes a version and the link to it."""
        path = self.service_path
        if path.is_symlink() or not path.is_file():
            return None
        stamp = self.model_dir / LEGACY_STAMP
        fingerprint = stamp.read_text(encoding="utf-8").strip() if stamp.exists() else "unknown"
        created = path.stat().st_mtime
        version = ModelVersion(name=version_name(created, fingerprint), fingerprint=fingerprint, inputs={},
                               created=created, mode="adopted", note="trained before model versions")
        self.versions_dir.mkdir(parents=True, exist_ok=True)
        os.replace(path, self.model_file(version.name))   # same folder tree: a rename, no copy
        self.save(version)
        self.point_to(version.name, "adopted")
        return version


def _write_atomic(path: Path, text: str) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}")
    temporary.write_text(text + "\n", encoding="utf-8")
    os.replace(temporary, path)
