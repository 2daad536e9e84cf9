"""`hallbot conversations`: real conversations for bot trainers, read-only and masked (bot/conversations.py)."""
from __future__ import annotations

import argparse
import time
from collections.abc import Iterator
from pathlib import Path

from bot import conversations, corrections, labelling, privacy, story_export
from bot.conversations import DAY_S, Filters
from hallbot.settings import load


def _day(value: str | None) -> float | None:
    """YYYY-MM-DD (the robot's local day) -> epoch seconds at its start."""
    return time.mktime(time.strptime(value, "%Y-%m-%d")) if value else None


def filters_from(args: argparse.Namespace) -> Filters:
    until = _day(args.until)
    return Filters(fallback=args.fallback, handoff=args.handoff, below=args.below, channel=args.channel,
                   since=_day(args.since), until=until + DAY_S if until is not None else None,
                   intent=args.intent, search=args.search)


def _reviewed(wanted: Filters) -> Iterator[conversations.Conversation]:
    """The tracker store's conversations that pass the filters, newest first, reviewed (masked)."""
    settings = load()
    store = privacy.tracker_events(settings.var_dir, settings.tracker_db)
    try:
        yield from conversations.reviewed(store, wanted)
    finally:
        store.close()


def list_conversations(args: argparse.Namespace) -> int:
    wanted = filters_from(args)
    if args.export_csv:
        rows = labelling.export_csv(_reviewed(wanted), Path(args.export_csv), args.below or conversations.UNSURE_BELOW)
        print(f"{rows} message(s) to label in {args.export_csv} (fill correct_intent; `hallbot import-labels` reads it)")
        return 0
    if args.stats:
        print(labelling.format_analytics(labelling.analytics(_reviewed(wanted), args.below or conversations.UNSURE_BELOW)))
        return 0
    shown = 0
    for conversation in _reviewed(wanted):
        print(conversations.format_conversation(conversation))
        shown += 1
        if shown >= args.limit:
            break
    print(f"{shown} conversation(s)" + (f" (first {args.limit}; --limit for more)" if shown >= args.limit else ""))
    return 0


def import_labels(args: argparse.Namespace) -> int:
    settings = load()
    try:
        result = labelling.import_csv(settings.root, Path(args.csv))
    except (OSError, corrections.CorrectionRefused) as error:
        print(f"not imported: {error}")
        return 1
    for line, why in result.refused:
        print(f"{args.csv}:{line}: not added: {why}")
    print(f"{len(result.added)} example(s) added to {corrections.CORRECTIONS}, {result.unchanged} already there, "
          f"{result.skipped} row(s) without correct_intent, {len(result.refused)} refused")
    return 1 if result.refused else 0


def add_example(args: argparse.Namespace) -> int:
    settings = load()
    try:
        added = corrections.add_example(settings.root, args.intent, args.text)
    except corrections.CorrectionRefused as refused:
        print(f"not added: {refused}")
        return 1
    where = added.path.relative_to(settings.root)
    print(f"{'added to' if added.new else 'already in'} {where}: {added.intent}: {added.text}"
          + ("  (`git diff nlu_data/` shows it; `hallbot train` learns it)" if added.new else ""))
    return 0


def _relabels(pairs: list[str]) -> dict[int, str]:
    relabel = {}
    for pair in pairs:
        turn, _, intent = pair.partition("=")
        if not turn.isdigit() or not intent:
            raise SystemExit(f"--relabel takes TURN=INTENT (the turn as numbered by `hallbot story`), not {pair!r}")
        relabel[int(turn)] = intent
    return relabel


def keep_story(args: argparse.Namespace) -> int:
    settings = load()
    store = privacy.tracker_events(settings.var_dir, settings.tracker_db)
    try:
        events = store.events(args.sender)
    finally:
        store.close()
    kind = "training" if args.training else "test"
    try:
        saved = story_export.keep(settings.root, args.sender, events, kind, _relabels(args.relabel), args.name)
    except story_export.StoryRefused as refused:
        print(f"not kept: {refused}" + (" (`hallbot conversations` lists them)" if not events else ""))
        return 1
    where = saved.path.relative_to(settings.root)
    print(f"kept as {'a training story' if args.training else 'a conversation test'} in {where}: {saved.name!r}"
          + (f"; {saved.unsure} turn(s) flagged to check" if saved.unsure else "")
          + ("  (`hallbot train` learns it)" if args.training else "  (`make test` runs it)"))
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("conversations", help="real conversations for trainers (private data masked), newest first")
    p.add_argument("--fallback", action="store_true", help="only those where the robot did not understand")
    p.add_argument("--handoff", action="store_true", help="only those handed to staff")
    p.add_argument("--below", type=float, default=None, metavar="CONF", help="only those with a message under this confidence")
    p.add_argument("--channel", default=None, help="web | terminal | a kiosk id (K1)")
    p.add_argument("--since", default=None, metavar="YYYY-MM-DD")
    p.add_argument("--until", default=None, metavar="YYYY-MM-DD", help="inclusive")
    p.add_argument("--intent", default=None, help="only those with a message of this intent")
    p.add_argument("--search", default=None, help="text in a (masked) message")
    p.add_argument("--limit", type=int, default=20)
    p.add_argument("--export-csv", default=None, metavar="FILE",
                   help="write the unsure messages (fallback or under --below, default 0.6) as CSV to label offline")
    p.add_argument("--stats", action="store_true",
                   help="fallback, handoff and containment rates per day and per intent, the most misunderstood messages")
    p.set_defaults(func=list_conversations)

    p = sub.add_parser("import-labels", help="add the labelled rows of an --export-csv file to nlu_data/corrections.yml")
    p.add_argument("csv")
    p.set_defaults(func=import_labels)

    p = sub.add_parser("story", help="keep a conversation as a conversation test (tests/e2e) or a training story, "
                                     "private data replaced by stand-ins")
    p.add_argument("sender", help="the conversation id `hallbot conversations` shows after ==")
    p.add_argument("--training", action="store_true", help="a training story in stories/reviewed.yml instead of a test")
    p.add_argument("--relabel", action="append", default=[], metavar="TURN=INTENT",
                   help="the right intent of customer turn TURN (1 = the first), repeatable")
    p.add_argument("--name", default=None, help="the story's name (default: the conversation and its time)")
    p.set_defaults(func=keep_story)

    p = sub.add_parser("add-example", help="add a corrected example to nlu_data/corrections.yml (relabel a message)")
    p.add_argument("intent")
    p.add_argument("text")
    p.set_defaults(func=add_example)
