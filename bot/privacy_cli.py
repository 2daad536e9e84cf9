"""`hallbot privacy prune | export <customer> | delete <customer>` (logic in bot/privacy.py)."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from bot import privacy
from hallbot.settings import load


def _face_db_url() -> str:
    from vision.config import VisionConfig
    return VisionConfig.from_env().database_url()


def _prune(args: argparse.Namespace) -> int:
    settings = load()
    report = privacy.prune(settings.var_dir, settings.tracker_db,
                           privacy.Retention(args.conversations_days, args.sms_days, args.logs_days))
    print(json.dumps(report.to_dict()))
    return 0


def _business():
    from business.factory import get_business
    return get_business()


def _export(args: argparse.Namespace) -> int:
    settings = load()
    record = privacy.export(args.customer_id, var_dir=settings.var_dir, tracker_db=settings.tracker_db,
                            face_db_url=_face_db_url(), business=_business())
    out = Path(args.out)
    out.touch(mode=0o600, exist_ok=True)   # the customer's own data in clear: for them, not for others on the box
    out.chmod(0o600)
    out.write_text(json.dumps(record, ensure_ascii=False, indent=2, default=str), encoding="utf-8")
    print(f"wrote {out} ({len(record['conversations'])} conversations)")
    return 0


def _delete(args: argparse.Namespace) -> int:
    settings = load()
    business = _business()
    customer = business.find_customer(customer_id=args.customer_id)
    if customer is None and not args.force:
        print(f"no customer {args.customer_id} in the business system (use --force to erase anyway)", file=sys.stderr)
        return 2
    counts = privacy.delete(args.customer_id, var_dir=settings.var_dir, tracker_db=settings.tracker_db,
                            face_db_url=_face_db_url(), phones=[customer.phone] if customer else [],
                            business=business)
    print(json.dumps(counts))
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("privacy", help="retention (prune) and a customer's data export / deletion")
    actions = p.add_subparsers(dest="privacy_command", required=True)
    prune = actions.add_parser("prune", help="delete conversations, SMS state and old logs past retention")
    defaults = privacy.Retention()
    prune.add_argument("--conversations-days", type=float, default=defaults.conversations_days)
    prune.add_argument("--sms-days", type=float, default=defaults.sms_days)
    prune.add_argument("--logs-days", type=float, default=defaults.logs_days)
    prune.set_defaults(func=_prune)
    export = actions.add_parser("export", help="write one customer's data (JSON) for a data-access request")
    export.add_argument("customer_id")
    export.add_argument("--out", default="export.json")
    export.set_defaults(func=_export)
    delete = actions.add_parser("delete", help="erase the robot's copy of a customer's data")
    delete.add_argument("customer_id")
    delete.add_argument("--force", action="store_true")
    delete.set_defaults(func=_delete)
