"""`hallbot train`: train a new model version, score it against the one in service, switch if it holds up.

Why: a trainer's correction should reach the robot quickly and safely. Quickly: when only NLU
examples changed (the domain, stories, config.yml and the custom components' code hash the same
as the model in service's), Rasa finetunes that model (`rasa train --finetune`) instead of training
from scratch. Safely: every model is kept (bot/model_versions.py), both are scored on the held-out
split, and a drop beyond HALLBOT_MODEL_MAX_DROP keeps the old model in service unless the trainer
accepts it (bot/model_gate.py); so does a conversation test (tests/e2e, bot/story_check.py) the new
model fails. A running robot switches live (bot/model_switch.py)."""
from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from bot import model_gate, model_switch, nlu_eval, rasa_service, story_check, yaml_check
from bot.model_versions import HeldOutScores, ModelStore, ModelVersion, changed_inputs, version_name
from hallbot.settings import Settings

BLOCKED = 3          # exit status: trained, but the model in service stays (held-out drop)
FINETUNE_SAFE = {"nlu_data"}   # the only input a finetune may see changed


@dataclass(frozen=True)
class TrainPlan:
    mode: str                        # up-to-date | exists | full | finetune
    why: str
    changed: tuple[str, ...] = ()
    base: ModelVersion | None = None     # the model a finetune starts from
    existing: ModelVersion | None = None  # a kept version already trained on these inputs


def plan(in_service: ModelVersion | None, versions: list[ModelVersion], fingerprint: str,
         inputs: dict[str, str], force: bool = False, full: bool = False) -> TrainPlan:
    """What training is needed, and why (the keys that changed against the model in service)."""
    if in_service is None:
        return TrainPlan("full", "no model in service")
    if not force and in_service.fingerprint == fingerprint:
        return TrainPlan("up-to-date", f"model in service ({in_service.name}) was trained on these inputs")
    existing = next((v for v in reversed(versions) if v.fingerprint == fingerprint), None)
    if not force and existing is not None:
        return TrainPlan("exists", f"{existing.name} was trained on these inputs but is not in service",
                         existing=existing)
    if not in_service.inputs:
        return TrainPlan("full", f"{in_service.name} has no per-input fingerprints (trained before versions)")
    changed = tuple(changed_inputs(in_service.inputs, inputs))
    listed = ", ".join(changed) or "nothing (forced)"
    if full:
        return TrainPlan("full", f"changed: {listed}; full training asked for", changed)
    if changed and set(changed) <= FINETUNE_SAFE:
        return TrainPlan("finetune", f"changed: {listed} only: finetuning {in_service.name}", changed, base=in_service)
    blockers = sorted(set(changed) - FINETUNE_SAFE)
    why = f"changed: {listed}" + (f"; {', '.join(blockers)} changed, so a finetune is impossible" if blockers else "")
    return TrainPlan("full", why, changed)


rasa_env = rasa_service.rasa_env


def train_command(settings: Settings, out_dir: Path, name: str, base: Path | None) -> list[str]:
    args = ["train", "--config", "config.yml", "--domain", "domain.yml", "--data", "nlu_data", "stories",
            "--out", str(out_dir), "--fixed-model-name", name]
    if base is not None:
        args += ["--finetune", str(base), "--epoch-fraction", f"{settings.finetune_epoch_fraction:g}"]
    return rasa_service.rasa_command(settings, *args)


def _run_training(settings: Settings, command: list[str]) -> tuple[bool, str]:
    result = subprocess.run(command, cwd=settings.root, env=rasa_env(), text=True, capture_output=True)
    noise = ("it/s", "Processed ", "Epochs:")
    output = "\n".join(line for line in (result.stdout + result.stderr).splitlines()
                       if not any(n in line for n in noise))
    return result.returncode == 0, output


def heldout_report(settings: Settings, model: Path) -> nlu_eval.Report:
    examples = nlu_eval.load_examples(settings.root / nlu_eval.HELDOUT)
    parsed = nlu_eval.parse_with_model(settings.rasa_python, model, [e.text for e in examples],
                                       settings.root, rasa_env())
    return nlu_eval.score(examples, parsed)


def scores_of(settings: Settings, store: ModelStore, version: ModelVersion) -> HeldOutScores:
    """A version's held-out scores, computed once and kept in its record (adopted models have none)."""
    if version.heldout is not None:
        return version.heldout
    scores = HeldOutScores.from_report(heldout_report(settings, store.model_file(version.name)).as_dict())
    store.save(replace(version, heldout=scores))
    return scores


def train(settings: Settings, force: bool = False, full: bool = False, accept_drop: bool = False,
          confirm: Callable[[str], bool] | None = None) -> int:
    broken = yaml_check.broken(settings.root)
    if broken:   # Rasa would train without these files, silently
        for error in broken:
            print(f"error: {error}", file=sys.stderr)
        print("not training: fix the YAML above first (`hallbot validate` checks it)", file=sys.stderr)
        return 1
    store = ModelStore(settings.model_dir)
    fingerprint = rasa_service.training_fingerprint(settings.root)
    inputs = rasa_service.input_fingerprints(settings.root)
    current = store.in_service()
    todo = plan(current, store.versions(), fingerprint, inputs, force, full)
    if todo.mode == "up-to-date":
        print(f"model up to date ({todo.why})")
        return 0
    if todo.mode == "exists" and todo.existing is not None:
        print(f"{todo.why}: `hallbot model switch {todo.existing.name}` puts it in service "
              f"(report: {store.report_file(todo.existing.name)}); `hallbot train --force` trains anew")
        return BLOCKED
    print(f"training the Rasa model ({todo.mode}; {todo.why}) ...", flush=True)
    created = time.time()
    name = version_name(created, fingerprint)
    store.versions_dir.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    base = store.model_file(todo.base.name) if todo.base else None
    ok, output = _run_training(settings, train_command(settings, store.versions_dir, name, base))
    mode = todo.mode
    if not ok and base is not None:
        # Rasa refuses some finetunes our hashes cannot foresee (e.g. a new entity or response key)
        refusal = _last_error(output)
        print(f"finetune refused ({refusal}); training fully ...", flush=True)
        mode, base = "full", None
        ok, output = _run_training(settings, train_command(settings, store.versions_dir, name, None))
    trained = store.model_file(name)
    if not ok or not trained.exists():
        sys.stderr.write(output[-5000:] + "\n")
        print("training failed", file=sys.stderr)
        return 1
    seconds = time.monotonic() - started
    print(f"trained {name} ({mode}) in {seconds:.0f} s; scoring it on the held-out split ...", flush=True)
    version = store.add(trained, ModelVersion(name=name, fingerprint=fingerprint, inputs=inputs, created=created,
                                              mode=mode, train_s=round(seconds, 1),
                                              base=todo.base.name if mode == "finetune" and todo.base else None))
    try:
        after = scores_of(settings, store, version)
        before = scores_of(settings, store, current) if current else None
    except RuntimeError as error:
        print(f"{error}\nheld-out scoring failed: {current.name if current else 'nothing'} stays in service",
              file=sys.stderr)
        return 1
    verdict = model_gate.judge(before, after, settings.model_max_drop)
    report = model_gate.render_text(verdict, current.name if current else None, name)
    store.report_file(name).write_text(report + "\n", encoding="utf-8")
    store.report_file(name).with_suffix(".svg").write_text(
        model_gate.render_svg(verdict, current.name if current else None, name), encoding="utf-8")
    print(f"checking the conversation tests ({story_check.STORIES}) ...", flush=True)
    stories = story_check.run(settings, trained)
    report += "\n" + stories.summary()
    store.report_file(name).write_text(report + "\n", encoding="utf-8")
    print(report)
    print(f"report: {store.report_file(name)} (+ .svg)")
    blocked = verdict.blocked or (not stories.passed and current is not None)   # nothing in service: serve it anyway
    if not stories.passed and current is None:
        print("warning: no model is in service, so this one goes in although the conversation tests do not pass")
    if blocked and not accept_drop and not (confirm and confirm("switch to the new model anyway? [y/N] ")):
        print(f"{current.name if current else '?'} stays in service; `hallbot model switch {name}` to use the new one")
        return BLOCKED
    status = model_switch.switch(settings, store, name, "forced" if blocked else "trained")
    removed = store.prune(settings.model_keep)
    if removed:
        print(f"removed old model versions (HALLBOT_MODEL_KEEP={settings.model_keep}): {', '.join(removed)}")
    return status


def _last_error(output: str) -> str:
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    errors = [line for line in lines if "Error" in line or "error" in line]
    return (errors or lines or ["no output"])[-1][:300]


def ask_on_terminal(question: str) -> bool:
    """Ask only a person at a terminal; scripts (make test, CI) get no prompt."""
    if not sys.stdin.isatty():
        return False
    return input(question).strip().lower() in ("y", "yes")
