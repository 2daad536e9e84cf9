"""`hallbot business ...`: seed, serve, profiles, report, keywords."""
from __future__ import annotations

import datetime as dt
import json
import secrets
import sys
import time

from hallbot.settings import BusinessSettings


def register(subparsers) -> None:
    p = subparsers.add_parser("business", help="the reference business (marketing) system")
    sub = p.add_subparsers(dest="business_command", required=True)

    s = sub.add_parser("seed", help="fill the database with deterministic demo data")
    s.add_argument("--customers", type=int, default=10_000, help="number of customers, demo ones included")
    s.add_argument("--seed", type=int, default=42)
    s.add_argument("--months", type=int, default=24, help="months of bills, payments and contacts")
    s.add_argument("--today", help="reference date YYYY-MM-DD (default: today)")
    s.add_argument("--replace", action="store_true", help="delete existing data first")
    s.add_argument("--no-profiles", action="store_true", help="skip the profile computation after seeding")
    s.add_argument("--db", help="SQLAlchemy URL (default: HALLBOT_BUSINESS_DB or var/business.sqlite)")
    s.set_defaults(func=cmd_seed)

    s = sub.add_parser("serve", help="run the business HTTP API")
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, default=5056)
    s.add_argument("--token", default=BusinessSettings.from_env().token or None)
    s.add_argument("--profile-interval", type=float, default=BusinessSettings.from_env().profile_interval_s,
                   help="seconds between scheduled profile recomputes (0: never)")
    s.add_argument("--db")
    s.set_defaults(func=cmd_serve)

    s = sub.add_parser("profiles", help="recompute every customer profile now")
    s.add_argument("--db")
    s.set_defaults(func=cmd_profiles)

    s = sub.add_parser("report", help="predicted vs handled business: precision@k per month")
    s.add_argument("--period", help="YYYY-MM (default: last month)")
    s.add_argument("--k", type=int, default=3)
    s.add_argument("--channel", help="only predictions made on this channel")
    s.add_argument("--backtest", action="store_true", help="replay the recommender as of the 10th of the month")
    s.add_argument("--sample", type=int, default=1000, help="customers in the back-test")
    s.add_argument("--db")
    s.set_defaults(func=cmd_report)

    s = sub.add_parser("keywords", help="group analysis: keyword frequencies of one month")
    s.add_argument("--period", help="YYYY-MM (default: last month)")
    s.add_argument("--top", type=int, default=20)
    s.add_argument("--db")
    s.set_defaults(func=cmd_keywords)


def _open(args, seed_if_empty: bool = True):
    from business.factory import open_sql
    return open_sql(args.db, seed_if_empty=seed_if_empty)


def _last_month() -> str:
    from business import clock
    from business.profiles import period_of, shift_period
    return shift_period(period_of(clock.today()), -1)


def cmd_seed(args) -> int:
    from business import db, seed
    from business.adapter import BusinessError
    biz = _open(args, seed_if_empty=False)
    if not db.is_empty(biz.engine):
        if not args.replace:
            print("business: the database already has data; use --replace to start again", file=sys.stderr)
            return 2
        seed.clear(biz.engine)
    today = dt.date.fromisoformat(args.today) if args.today else None
    step = max(1000, args.customers // 20)

    def progress(n: int) -> None:
        if n % step < 2000 or n >= args.customers:
            print(f"  {n:,} customers", file=sys.stderr)
    try:
        stats = seed.seed(biz.engine, args.customers, seed=args.seed, today=today, months=args.months,
                          progress=progress)
    except (ValueError, BusinessError) as exc:
        print(f"business: {exc}", file=sys.stderr)
        return 2
    print(f"seeded {stats.customers:,} customers in {stats.seconds:.1f} s: "
          + ", ".join(f"{k} {v:,}" for k, v in stats.rows.items()))
    if not args.no_profiles:
        p = biz.recompute_profiles()
        print(f"profiles of {p.customers:,} customers in {p.seconds:.1f} s: {p.by_type}; {p.rules} derived-service rules")
    return 0


def cmd_serve(args) -> int:
    from aiohttp import web

    from business.api import make_app
    token = args.token
    if not token:
        token = secrets.token_urlsafe(24)
        print(f"business: no HALLBOT_BUSINESS_TOKEN set; this run's token is {token}", file=sys.stderr)
    biz = _open(args)
    app = make_app(biz, token, profile_interval_s=args.profile_interval or None)
    web.run_app(app, host=args.host, port=args.port, print=lambda *_: print(
        f"business API on http://{args.host}:{args.port} (OpenAPI at /openapi.json)", file=sys.stderr))
    return 0


def cmd_profiles(args) -> int:
    stats = _open(args).recompute_profiles()
    print(f"profiles of {stats.customers:,} customers in {stats.seconds:.1f} s: {stats.by_type}; "
          f"{stats.rules} derived-service rules")
    return 0


def cmd_report(args) -> int:
    from business import validation as v
    from business.adapter import BusinessError
    from business.report import backtest, precision_report
    biz = _open(args)
    try:
        period, k = v.period(args.period or _last_month()), v.k(args.k)
    except BusinessError as exc:
        print(f"business: {exc.message}", file=sys.stderr)
        return 2
    t0 = time.perf_counter()
    if args.backtest:
        report = backtest(biz.sessions, biz.writer, period, k, args.sample)
    else:
        with biz.sessions() as s:
            report = precision_report(s, period, k, channel=args.channel)
    from business.codec import dump
    out = dump(report)
    out["seconds"] = round(time.perf_counter() - t0, 2)
    print(json.dumps(out, ensure_ascii=False, indent=1))
    return 0


def cmd_keywords(args) -> int:
    from business.adapter import BusinessError
    try:
        rows = _open(args).keyword_trends(args.period or _last_month(), args.top)
    except BusinessError as exc:
        print(f"business: {exc.message}", file=sys.stderr)
        return 2
    for word, n in rows:
        print(f"{n:8d}  {word}")
    return 0
