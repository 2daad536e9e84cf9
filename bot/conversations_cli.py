"""`hallbot conversations`: real conversations for bot trainers, read-only and masked (bot/conversations.py)."""
from __future__ import annotations

import argparse
import time

from bot import conversations, corrections, privacy
from bot.conversations import DAY_S, Filters
from hallbot.settings import load
from identity import keys


def _day(value: str | None) -> float | None:
    """YYYY-MM-DD (the robot's local day) -> epoch seconds at its start."""
    return time.mktime(time.strptime(value, "%Y-%m-%d")) if value else None


def filters_from(args: argparse.Namespace) -> Filters:
    until = _day(args.until)
    return Filters(fallback=args.fallback, handoff=args.handoff, below=args.below, channel=args.channel,
                   since=_day(args.since), until=until + DAY_S if until is not None else None,
                   intent=args.intent, search=args.search)


def list_conversations(args: argparse.Namespace) -> int:
    settings = load()
    store = privacy.TrackerEvents(privacy.tracker_url(settings.var_dir, settings.tracker_db),
                                  keys.secret(keys.TRACKER_KEY, settings.var_dir))
    wanted = filters_from(args)
    shown = 0
    try:
        for sender in store.senders(wanted.since):
            conversation = conversations.review(sender, store.events(sender))
            if not conversation.messages or not wanted.accepts(conversation):
                continue
            print(conversations.format_conversation(conversation))
            shown += 1
            if shown >= args.limit:
                break
    finally:
        store.close()
    print(f"{shown} conversation(s)" + (f" (first {args.limit}; --limit for more)" if shown >= args.limit else ""))
    return 0


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
    p.set_defaults(func=list_conversations)

    p = sub.add_parser("add-example", help="add a corrected example to nlu_data/corrections.yml (relabel a message)")
    p.add_argument("intent")
    p.add_argument("text")
    p.set_defaults(func=add_example)
