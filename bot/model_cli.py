"""`hallbot model list|switch|rollback|report`: the trained Rasa model versions and the one in service.
(`hallbot models` is another thing: the ML models the robot loads, with their licences.)"""
from __future__ import annotations

import argparse
import time

from bot import model_switch
from bot.model_versions import ModelStore, ModelStoreError, ModelVersion
from hallbot.settings import Settings, load


def _row(version: ModelVersion, in_service: bool) -> str:
    scores = f"{version.heldout.accuracy:.3f}  {version.heldout.macro_f1:.3f}" if version.heldout else "    -      -  "
    created = time.strftime("%Y-%m-%d %H:%M", time.gmtime(version.created))
    trained = f"{version.train_s:.0f} s" if version.train_s is not None else "-"
    return f"{'*' if in_service else ' '} {version.name:24} {created}  {version.mode:8} {trained:>6}  {scores}  {version.fingerprint}"


def list_versions(settings: Settings) -> int:
    store = ModelStore(settings.model_dir)
    current = store.in_service()
    versions = store.versions()
    if not versions:
        print(f"no model versions in {store.versions_dir}: run `hallbot train`")
        return 0
    print(f"  {'name':24} {'created (UTC)':16}  {'mode':8} {'train':>6}  acc.   macroF1 fingerprint")
    for version in versions:
        print(_row(version, current is not None and version.name == current.name))
    print("* = in service (models/hallbot.tar.gz)")
    return 0


def show_report(settings: Settings, name: str | None) -> int:
    store = ModelStore(settings.model_dir)
    current = store.in_service()
    name = name or (current.name if current else None)
    if name is None:
        print("no model in service")
        return 1
    path = store.report_file(name)
    print(path.read_text(encoding="utf-8") if path.exists() else f"no before/after report for {name}")
    return 0


def _switch(settings: Settings, name: str) -> int:
    store = ModelStore(settings.model_dir)
    try:
        store.get(name)
    except ModelStoreError as error:
        print(error)
        return 1
    return model_switch.switch(settings, store, name, "switch")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("model", help="trained Rasa model versions: list, switch, rollback, report")
    actions = p.add_subparsers(dest="action", required=True)
    actions.add_parser("list", help="every kept version, its held-out scores, * the one in service") \
        .set_defaults(func=lambda a: list_versions(load()))
    s = actions.add_parser("switch", help="put a version in service (the running robot too, without restart)")
    s.add_argument("name")
    s.set_defaults(func=lambda a: _switch(load(), a.name))
    actions.add_parser("rollback", help="back to the version in service before the current one") \
        .set_defaults(func=lambda a: model_switch.rollback(load(), ModelStore(load().model_dir)))
    r = actions.add_parser("report", help="a version's before/after held-out report (default: the one in service)")
    r.add_argument("name", nargs="?")
    r.set_defaults(func=lambda a: show_report(load(), a.name))
